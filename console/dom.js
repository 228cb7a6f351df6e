// A tiny element builder: text always goes in as text, never as HTML.
export function h (tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value)
    else if (name === 'class') el.className = value
    else if (value === true) el.setAttribute(name, '')
    else el.setAttribute(name, String(value))
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue
    el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
  return el
}

export const when = (iso) => iso === null || iso === undefined ? '—' : new Date(iso).toLocaleString(undefined, { hour12: false })

export function table (columns, rows, empty = 'none yet') {
  if (rows.length === 0) return h('p', { class: 'note' }, empty)
  return h('table', {},
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', {}, c.label)))),
    h('tbody', {}, rows.map((row) => h('tr', {}, columns.map((c) => h('td', { class: c.mono ? 'mono' : undefined }, c.cell(row)))))))
}

export function toast (text) {
  const el = document.getElementById('toast')
  el.textContent = text
  el.hidden = false
  clearTimeout(toast.timer)
  toast.timer = setTimeout(() => { el.hidden = true }, 4000)
}

/** Runs an action, showing its failure instead of losing it. */
export async function attempt (fn) {
  try {
    return await fn()
  } catch (err) {
    toast(err.message)
    return undefined
  }
}

/** A one-time secret, shown until the operator dismisses it. */
export function secretPanel (title, pairs, onClose) {
  return h('div', { class: 'secret', 'data-testid': 'secret' },
    h('strong', {}, title),
    pairs.map(([label, value]) => h('div', {}, h('span', { class: 'note' }, label), h('code', {}, value))),
    h('p', { class: 'note' }, 'Shown only this once: store it now.'),
    h('button', { type: 'button', onclick: onClose }, 'Done'))
}
