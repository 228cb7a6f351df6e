import { api, token } from './api.js'
import { h } from './dom.js'
import { renderOverview } from './overview.js'
import { renderProject, renderProjects } from './projects.js'
import { renderAudit } from './audit.js'

// Routes live in the fragment (#/projects/…): nothing secret ever goes in the URL.
const main = document.getElementById('main')
const nav = document.getElementById('nav')
let current = new AbortController()
let refresh

function signIn (message) {
  nav.hidden = true
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', placeholder: 'admin token', required: true })
  const error = h('p', { class: 'error', id: 'signin-error' }, message ?? '')
  main.replaceChildren(h('section', { class: 'card signin' },
    h('h1', {}, 'Sign in to stsgate'),
    h('p', { class: 'note' }, 'The admin token (STSGATE_ADMIN_TOKEN, or the admin-token file in the data directory). It is kept in this tab only.'),
    h('form', {
      id: 'signin',
      onsubmit: async (e) => {
        e.preventDefault()
        try {
          await api('GET', '/status', undefined, input.value)
        } catch (err) {
          error.textContent = err.status === 401 ? 'That token was refused.' : err.message
          return
        }
        token.set(input.value)
        location.hash = '#/overview'
        void route()
      }
    }, input, h('button', { class: 'primary', type: 'submit' }, 'Sign in')),
    error))
  input.focus()
}

async function route () {
  current.abort()
  current = new AbortController()
  clearInterval(refresh)
  if (token.get() === null) return signIn()
  nav.hidden = false
  const path = location.hash.replace(/^#/, '') || '/overview'
  for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', path.startsWith(a.getAttribute('href').slice(1)))
  const signal = current.signal
  try {
    if (path === '/overview') {
      await renderOverview(main, signal)
      refresh = setInterval(() => { if (!signal.aborted) void renderOverview(main, signal).catch(() => {}) }, 10_000)
    } else if (path === '/projects') await renderProjects(main)
    else if (path.startsWith('/projects/')) await renderProject(main, decodeURIComponent(path.slice('/projects/'.length)))
    else if (path === '/audit') await renderAudit(main, signal, 'changes')
    else if (path === '/audit/vends') await renderAudit(main, signal, 'vends')
    else main.replaceChildren(h('p', {}, 'Nothing here. '), h('a', { href: '#/overview' }, 'Overview'))
  } catch (err) {
    if (err.status === 401) { token.clear(); return signIn('The admin token is no longer accepted; sign in again.') }
    main.replaceChildren(h('p', { class: 'error' }, err.message))
  }
}

document.getElementById('sign-out').addEventListener('click', () => { token.clear(); location.hash = ''; void route() })
window.addEventListener('hashchange', () => { void route() })
void route()
