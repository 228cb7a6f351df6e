import { api } from './api.js'
import { attempt, h, table, when } from './dom.js'

// Audit: the change log and the vend log, filterable, newest first, with the chains' verification.
export async function renderAudit (main, signal, log = 'changes') {
  const verify = h('section', { class: 'card', id: 'verification' }, h('h2', {}, 'Chain verification'), h('p', { class: 'note' }, 'checking…'))
  const results = h('div', { id: 'audit-results' })
  const input = (name, placeholder) => h('input', { name, placeholder })
  const filters = {
    project_id: input('project_id', 'project id'),
    principal: input('principal', log === 'vends' ? 'principal (ak:…, token:…)' : 'principal (admin)'),
    [log === 'vends' ? 'contract' : 'action']: input(log === 'vends' ? 'contract' : 'action', log === 'vends' ? 'contract (edas, workspace, dji)' : 'action (access_key.rotate, …)'),
    since: h('input', { name: 'since', type: 'datetime-local' }),
    until: h('input', { name: 'until', type: 'datetime-local' })
  }
  const query = (cursor) => {
    const params = new URLSearchParams()
    for (const [key, el] of Object.entries(filters)) {
      if (el.value === '') continue
      params.set(key, key === 'since' || key === 'until' ? new Date(el.value).toISOString() : el.value)
    }
    if (cursor !== undefined) params.set('cursor', cursor)
    params.set('limit', '50')
    return `?${params}`
  }
  const show = async (cursor) => {
    const page = await attempt(() => api('GET', `${log === 'vends' ? '/vends' : '/audit'}${query(cursor)}`))
    if (page === undefined || signal.aborted) return
    const rows = log === 'vends' ? page.vends : page.events
    const view = log === 'vends'
      ? table([
        { label: 'When', cell: (v) => when(v.at) },
        { label: 'Principal', cell: (v) => v.principal, mono: true },
        { label: 'Contract', cell: (v) => v.contract },
        { label: 'Project', cell: (v) => v.project_id, mono: true },
        { label: 'Target', cell: (v) => v.target_id, mono: true },
        { label: 'Where', cell: (v) => v.prefix ?? v.object, mono: true },
        { label: 'Count', cell: (v) => v.count },
        { label: 'Cache', cell: (v) => v.from_cache ? 'hit' : 'minted' },
        { label: 'Expires', cell: (v) => when(v.expires_at) }
      ], rows, 'No vends match.')
      : table([
        { label: 'When', cell: (e) => when(e.at) },
        { label: 'Principal', cell: (e) => e.principal, mono: true },
        { label: 'Action', cell: (e) => e.action, mono: true },
        { label: 'Project', cell: (e) => e.project_id ?? '—', mono: true },
        { label: 'Subject', cell: (e) => e.subject ?? '—', mono: true },
        { label: 'Detail', cell: (e) => JSON.stringify(e.detail), mono: true }
      ], rows, 'No changes match.')
    results.replaceChildren(view, page.next_cursor === null ? '' : h('button', { type: 'button', onclick: () => show(page.next_cursor) }, 'Older'))
  }
  main.replaceChildren(
    h('h1', {}, 'Audit'),
    h('div', { class: 'tabs' },
      h('button', { type: 'button', class: log === 'changes' ? 'active' : undefined, onclick: () => { location.hash = '#/audit' } }, 'Change log'),
      h('button', { type: 'button', class: log === 'vends' ? 'active' : undefined, onclick: () => { location.hash = '#/audit/vends' }, id: 'vend-log' }, 'Vend log')),
    verify,
    h('section', { class: 'card' },
      h('form', { class: 'inline', id: 'audit-filter', onsubmit: (e) => { e.preventDefault(); void show() } },
        ...Object.values(filters), h('button', { class: 'primary', type: 'submit' }, 'Filter')),
      log === 'vends' ? h('p', { class: 'note' }, 'Each instance writes its vends about once a second; identical vends within that second share one row with a count.') : '',
      results)
  )
  await show()
  const checked = await attempt(() => api('GET', '/audit/verify'))
  if (checked === undefined || signal.aborted) return
  verify.replaceChildren(h('h2', {}, 'Chain verification'),
    h('p', {}, h('span', { class: checked.ok ? 'ok' : 'bad', id: 'chain-status' }, checked.ok ? 'All chains verify' : 'A chain is broken')),
    table([
      { label: 'Chain', cell: (c) => c.chain, mono: true },
      { label: 'Events', cell: (c) => c.events },
      { label: 'State', cell: (c) => c.ok ? h('span', { class: 'ok' }, 'ok') : h('span', { class: 'bad' }, c.problem ?? 'broken') }
    ], checked.chains))
}
