import { AsyncLocalStorage } from 'node:async_hooks'
import { createRequire } from 'node:module'
import { guardedLookup, type Lookup } from './address-guard.js'

/**
 * The Alibaba Cloud SDK (`@alicloud/sts20150401` over `@darabonba/typescript`)
 * sends through the `httpx` package with agents of its own and offers no hook
 * for an agent or a resolver. `httpx.request` does accept `beforeRequest`,
 * which may amend the options handed to `https.request`; so its exported
 * `request` (read through a getter at every call by the SDK's core) is wrapped
 * once to add a `lookup` that checks every resolved address (address-guard.ts).
 * Which resolver a call uses travels with the call (AsyncLocalStorage), so a
 * test can resolve through its own table; any other httpx call in the process
 * gets the guard over the system resolver.
 */
interface Httpx { request (url: unknown, opts?: { beforeRequest?: (options: object) => object } & Record<string, unknown>): Promise<unknown> }

const resolvers = new AsyncLocalStorage<Lookup>()
let installed = false

function install (): void {
  if (installed) return
  const sdk = createRequire(import.meta.url).resolve('@alicloud/sts20150401')
  const core = createRequire(sdk).resolve('@darabonba/typescript')
  const httpx = createRequire(core)('httpx') as Httpx
  const original = httpx.request
  const fallback = guardedLookup()
  httpx.request = function guardedRequest (url, opts = {}) {
    const lookup = resolvers.getStore() ?? fallback
    const before = opts.beforeRequest
    return original.call(this, url, { ...opts, beforeRequest: (options: object) => ({ ...(before === undefined ? options : before(options)), lookup }) })
  }
  installed = true
}

/** Runs an Alibaba SDK call whose connections resolve through `resolve`, every answer checked. */
export function withGuardedConnections<T> (resolve: Lookup | undefined, call: () => Promise<T>): Promise<T> {
  install()
  return resolvers.run(guardedLookup(resolve), call)
}
