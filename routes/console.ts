import type { FastifyPluginAsync } from 'fastify'
import { readFileSync, existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The operator console at /console: static files from the package's
 * `console/` folder plus uPlot, read once at start-up. The page talks only to
 * the admin API with the admin token the operator types in (kept in session
 * storage, sent as a header, never put in a URL). It gets the same per-address
 * rate limit and load shedding as every route (they are app-wide hooks), and
 * a Content-Security-Policy that allows nothing but these files: no inline
 * script or style, no other origin, no framing.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8'
}

const PAGES = ['index.html', 'style.css', 'app.js', 'api.js', 'dom.js', 'overview.js', 'projects.js', 'audit.js']

/** `console/` beside routes/ when run from source, two levels up from dist/routes/ when built. */
function consoleFolder (): string {
  const here = dirname(fileURLToPath(import.meta.url))
  for (const candidate of [join(here, '..', 'console'), join(here, '..', '..', 'console')]) {
    if (existsSync(join(candidate, 'index.html'))) return candidate
  }
  throw new Error('the console/ folder is missing from this installation')
}

function loadFiles (): Map<string, { body: Buffer, type: string }> {
  const folder = consoleFolder()
  const files = new Map<string, { body: Buffer, type: string }>()
  const add = (path: string, file: string): void => {
    files.set(path, { body: readFileSync(file), type: TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream' })
  }
  for (const page of PAGES) add(page === 'index.html' ? '' : page, join(folder, page))
  const uplot = dirname(createRequire(import.meta.url).resolve('uplot'))
  add('vendor/uPlot.iife.min.js', join(uplot, 'uPlot.iife.min.js'))
  add('vendor/uPlot.min.css', join(uplot, 'uPlot.min.css'))
  return files
}

const operatorConsole: FastifyPluginAsync = async (app) => {
  const files = loadFiles()
  // Relative links in the page need the trailing slash.
  app.get('/console', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/console/', 308))
  app.get<{ Params: { '*': string } }>('/console/*', { schema: { hide: true } }, async (req, reply) => {
    const file = files.get(req.params['*'])
    if (file === undefined) return reply.callNotFound()
    return reply
      .header('content-security-policy', CONSOLE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      .header('cache-control', 'no-cache')
      .type(file.type)
      .send(file.body)
  })
}
export default operatorConsole
