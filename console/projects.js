import { api } from './api.js'
import { attempt, h, secretPanel, table, toast, when } from './dom.js'

// Projects and what lives in them. Secrets are shown once, in a panel, and never fetched again.
const enc = encodeURIComponent

export async function renderProjects (main) {
  const { projects } = await api('GET', '/projects')
  const name = h('input', { name: 'name', placeholder: 'project name', required: true, maxlength: 64 })
  main.replaceChildren(
    h('h1', {}, 'Projects'),
    h('section', { class: 'card' },
      h('form', {
        class: 'inline',
        id: 'create-project',
        onsubmit: async (e) => {
          e.preventDefault()
          const created = await attempt(() => api('POST', '/projects', { name: name.value }))
          if (created !== undefined) location.hash = `#/projects/${created.project_id}`
        }
      }, name, h('button', { class: 'primary', type: 'submit' }, 'Create project')),
      table([
        { label: 'Name', cell: (p) => h('a', { href: `#/projects/${p.project_id}` }, p.name) },
        { label: 'Project id', cell: (p) => p.project_id, mono: true },
        { label: 'State', cell: (p) => p.disabled ? h('span', { class: 'bad' }, 'disabled') : 'active' },
        { label: 'Created', cell: (p) => when(p.created_at) }
      ], projects, 'No projects yet.'))
  )
}

export async function renderProject (main, projectId) {
  const base = `/projects/${enc(projectId)}`
  const project = await api('GET', base)
  const secret = h('div', { id: 'secret-slot' })
  const showSecret = (title, pairs) => secret.replaceChildren(secretPanel(title, pairs, () => secret.replaceChildren()))
  const sections = {
    keys: h('section', { class: 'card', id: 'access-keys' }),
    tokens: h('section', { class: 'card', id: 'tokens' }),
    targets: h('section', { class: 'card', id: 'targets' }),
    bindings: h('section', { class: 'card', id: 'bindings' }),
    devices: h('section', { class: 'card', id: 'devices' }),
    docks: h('section', { class: 'card', id: 'docks' })
  }
  const refresh = async () => {
    const [keys, tokens, targets, bindings, devices, gateways] = await Promise.all(
      ['access-keys', 'tokens', 'targets', 'bindings', 'devices', 'gateways'].map((p) => api('GET', `${base}/${p}`)))
    const act = (fn, done) => async () => { if (await attempt(fn) !== undefined || done) { if (done) toast(done); await refresh() } }

    sections.keys.replaceChildren(h('h2', {}, 'Access keys'),
      h('p', { class: 'note' }, 'Sign EDAS and Huawei AK/SK requests. "Last used" is written in batches every few seconds.'),
      h('button', {
        class: 'primary', type: 'button', id: 'create-key',
        onclick: async () => {
          const key = await attempt(() => api('POST', `${base}/access-keys`))
          if (key !== undefined) { showSecret('New access key', [['Access key id', key.access_key_id], ['Secret', key.secret_access_key]]); await refresh() }
        }
      }, 'Create access key'),
      table([
        { label: 'Access key id', cell: (k) => k.access_key_id, mono: true },
        { label: 'State', cell: (k) => k.disabled ? h('span', { class: 'bad' }, 'disabled') : h('span', { class: 'ok' }, 'active') },
        { label: 'Last used', cell: (k) => k.last_used_at === null ? 'never' : when(k.last_used_at) },
        { label: 'Created', cell: (k) => when(k.created_at) },
        {
          label: '',
          cell: (k) => h('span', {},
            h('button', { type: 'button', 'data-action': 'toggle', onclick: act(() => api('PATCH', `${base}/access-keys/${enc(k.access_key_id)}`, { disabled: !k.disabled })) }, k.disabled ? 'Enable' : 'Disable'), ' ',
            h('button', {
              type: 'button',
              'data-action': 'rotate',
              onclick: async () => {
                if (!confirm(`Rotate ${k.access_key_id}? The old key stops working at once (enable it again to undo).`)) return
                const key = await attempt(() => api('POST', `${base}/access-keys/${enc(k.access_key_id)}/rotate`))
                if (key !== undefined) {
                  showSecret(`Rotated: ${key.replaced_access_key_id} is now disabled`, [['Access key id', key.access_key_id], ['Secret', key.secret_access_key]])
                  await refresh()
                }
              }
            }, 'Rotate'), ' ',
            h('button', {
              type: 'button', class: 'danger', 'data-action': 'delete',
              onclick: () => confirm(`Delete ${k.access_key_id} for good?`) && act(() => api('DELETE', `${base}/access-keys/${enc(k.access_key_id)}`), 'deleted')()
            }, 'Delete'))
        }
      ], keys.access_keys))

    const ttl = h('input', { type: 'number', min: 60, max: 31536000, value: 86400, name: 'ttl' })
    sections.tokens.replaceChildren(h('h2', {}, 'Tokens'),
      h('p', { class: 'note' }, 'X-Auth-Token for Workspace and IoTDA callers.'),
      h('form', {
        class: 'inline',
        onsubmit: async (e) => {
          e.preventDefault()
          const t = await attempt(() => api('POST', `${base}/tokens`, { ttl_seconds: Number(ttl.value) }))
          if (t !== undefined) { showSecret('New token', [['Token id', t.token_id], ['Token', t.token], ['Expires', when(t.expires_at)]]); await refresh() }
        }
      }, 'Lifetime (s)', ttl, h('button', { class: 'primary', type: 'submit' }, 'Create token')),
      table([
        { label: 'Token id', cell: (t) => t.token_id, mono: true },
        { label: 'State', cell: (t) => t.revoked ? h('span', { class: 'bad' }, 'revoked') : Date.parse(t.expires_at) < Date.now() ? 'expired' : h('span', { class: 'ok' }, 'active') },
        { label: 'Expires', cell: (t) => when(t.expires_at) },
        { label: 'Last used', cell: (t) => t.last_used_at === null ? 'never' : when(t.last_used_at) },
        { label: '', cell: (t) => t.revoked ? '' : h('button', { type: 'button', class: 'danger', onclick: act(() => api('DELETE', `${base}/tokens/${t.token_id}`), 'revoked') }, 'Revoke') }
      ], tokens.tokens))

    sections.targets.replaceChildren(h('h2', {}, 'Storage targets'),
      h('p', { class: 'note' }, 'Where credentials point. Upstream secrets are stored encrypted and never shown.'),
      targetForm(base, refresh),
      table([
        { label: 'Name', cell: (t) => t.name },
        { label: 'Target id', cell: (t) => t.target_id, mono: true },
        { label: 'Provider', cell: (t) => t.provider },
        { label: 'Bucket', cell: (t) => t.bucket },
        { label: 'Region', cell: (t) => t.region },
        { label: 'Lifetime', cell: (t) => `${t.duration_seconds} s` },
        { label: '', cell: (t) => h('button', { type: 'button', class: 'danger', onclick: act(() => api('DELETE', `${base}/targets/${t.target_id}`), 'deleted') }, 'Delete') }
      ], targets.targets))

    sections.bindings.replaceChildren(h('h2', {}, 'Bindings'), bindingForm(base, targets.targets, refresh),
      table([
        { label: 'Contract', cell: (b) => b.kind },
        { label: 'Target', cell: (b) => targets.targets.find((t) => t.target_id === b.target_id)?.name ?? b.target_id },
        { label: 'Prefix', cell: (b) => b.prefix, mono: true },
        { label: '', cell: (b) => h('button', { type: 'button', class: 'danger', onclick: act(() => api('DELETE', `${base}/bindings/${b.kind}`), 'unbound') }, 'Unbind') }
      ], Object.entries(bindings).map(([kind, b]) => ({ kind, target_id: b.target_id, prefix: b.key_prefix ?? b.directory })), 'No contract bound.'))

    sections.devices.replaceChildren(h('h2', {}, 'IoT devices'),
      h('button', {
        type: 'button',
        onclick: async () => {
          const d = await attempt(() => api('POST', `${base}/devices`, {}))
          if (d !== undefined) { showSecret('New device', [['Device id', d.device_id], ['Secret', d.secret]]); await refresh() }
        }
      }, 'Register device'),
      table([
        { label: 'Device id', cell: (d) => d.device_id, mono: true },
        { label: 'Secondary secret', cell: (d) => d.has_secondary_secret ? 'yes' : 'no' },
        { label: 'Updated', cell: (d) => when(d.updated_at) },
        {
          label: '',
          cell: (d) => h('span', {},
            h('button', {
              type: 'button',
              onclick: async () => {
                const r = await attempt(() => api('POST', `${base}/devices/${enc(d.device_id)}/reset-secret`, { force_disconnect: true }))
                if (r !== undefined) { showSecret('Device secret reset; live sessions closed', [['Device id', d.device_id], ['Secret', r.secret]]); await refresh() }
              }
            }, 'Reset secret + disconnect'), ' ',
            h('button', { type: 'button', class: 'danger', onclick: act(() => api('DELETE', `${base}/devices/${enc(d.device_id)}`), 'deleted') }, 'Delete'))
        }
      ], devices.devices))

    sections.docks.replaceChildren(h('h2', {}, 'DJI docks'),
      table([
        { label: 'Serial', cell: (g) => g.sn, mono: true },
        { label: 'Prefix', cell: (g) => g.object_key_prefix, mono: true },
        { label: 'Aircraft', cell: (g) => g.sub_devices.join(', ') || '—' },
        { label: 'State', cell: (g) => g.disabled ? h('span', { class: 'bad' }, 'disabled') : 'active' },
        { label: '', cell: (g) => h('button', { type: 'button', onclick: act(() => api('PATCH', `${base}/gateways/${enc(g.sn)}`, { disabled: !g.disabled })) }, g.disabled ? 'Enable' : 'Disable') }
      ], gateways.gateways, 'No docks registered (stsgate gateways create).'))
  }
  main.replaceChildren(
    h('h1', {}, `Project ${project.name}`),
    h('p', { class: 'note mono' }, project.project_id),
    secret,
    ...Object.values(sections))
  await refresh()
}

function targetForm (base, refresh) {
  const field = (name, placeholder, attrs = {}) => h('input', { name, placeholder, ...attrs })
  const provider = h('select', { name: 'provider' }, ['local', 'aliyun', 'aws', 'huawei'].map((p) => h('option', { value: p }, p)))
  const upstream = h('textarea', { name: 'upstream', placeholder: 'upstream JSON (aliyun, aws, huawei): role and the key stsgate calls STS with' })
  const inputs = { name: field('name', 'name'), bucket: field('bucket', 'bucket'), region: field('region', 'region'), endpoint: field('endpoint', 'endpoint host') }
  return h('form', {
    class: 'inline',
    id: 'create-target',
    onsubmit: async (e) => {
      e.preventDefault()
      const body = { provider: provider.value, ...Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value])) }
      if (upstream.value.trim() !== '') {
        try { body.upstream = JSON.parse(upstream.value) } catch { toast('the upstream is not valid JSON'); return }
      }
      if (await attempt(() => api('POST', `${base}/targets`, body)) !== undefined) { upstream.value = ''; await refresh() }
    }
  }, inputs.name, provider, inputs.bucket, inputs.region, inputs.endpoint, upstream, h('button', { class: 'primary', type: 'submit' }, 'Create target'))
}

function bindingForm (base, targets, refresh) {
  const kind = h('select', { name: 'contract' }, h('option', { value: 'edas' }, 'EDAS'), h('option', { value: 'workspace' }, 'Workspace'))
  const target = h('select', { name: 'target' }, targets.map((t) => h('option', { value: t.target_id }, `${t.name} (${t.provider})`)))
  return h('form', {
    class: 'inline',
    id: 'bind',
    onsubmit: async (e) => {
      e.preventDefault()
      if (await attempt(() => api('PUT', `${base}/bindings`, { [kind.value]: { target_id: target.value } })) !== undefined) await refresh()
    }
  }, 'Bind', kind, 'to', target, h('button', { class: 'primary', type: 'submit', disabled: targets.length === 0 }, 'Bind'))
}
