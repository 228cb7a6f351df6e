import { connect } from 'node:net'
import t from 'tap'
import { buildTestApp as buildApp, type TestApp } from './helpers/app.js'
import { openTestStore, testMasterKey } from './helpers/store.js'
import { listen } from './routes/edas-fixtures.js'

/**
 * Overload and hostile clients: load shedding in each contract's 503, slow
 * clients cut off, oversized headers and bodies refused in the contract's shape.
 */

const keys = testMasterKey()
const store = await openTestStore(t, 'pglite', keys)
const buildTestApp = (t: Parameters<typeof buildApp>[0], env: Record<string, string>): Promise<TestApp> => buildApp(t, { env, store, keys })

const EDAS = '/pop/v5/package_storage_credential'
const WORKSPACE = '/v1/p1/app-warehouse/action/authorize'
const IOTDA = '/v5/iot/p1/devices/d1/action?action_id=resetSecret'

/** Writes `chunks` (one every `gapMs`) on a raw socket; resolves with what came back once the server closes it. */
function rawExchange (port: number, chunks: string[], gapMs = 0): Promise<{ text: string, elapsedMs: number, sent: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const socket = connect(port, '127.0.0.1')
    let text = ''
    let sent = 0
    let timer: NodeJS.Timeout | undefined
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => { text += d })
    socket.on('error', () => {})
    socket.on('close', () => { clearTimeout(timer); resolve({ text, elapsedMs: Date.now() - started, sent }) })
    const next = (): void => {
      if (sent >= chunks.length || socket.destroyed) return
      socket.write(chunks[sent++] as string)
      timer = setTimeout(next, gapMs)
    }
    next()
    setTimeout(() => { socket.destroy(); reject(new Error(`the server did not close the connection (${sent} chunks sent)`)) }, 8000).unref()
  })
}

const jsonBody = (text: string): unknown => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))

t.test('under memory pressure every contract answers its own 503 with Retry-After; /healthz still answers', async (t) => {
  // 1 MiB of heap is always exceeded: the first sample (after one second) turns shedding on.
  const h = await buildTestApp(t, { STSGATE_MAX_HEAP_USED_MB: '1' })
  await new Promise((resolve) => setTimeout(resolve, 1300))
  const edas = await h.app.inject({ method: 'GET', url: EDAS })
  t.equal(edas.statusCode, 503)
  t.match(edas.json(), { Code: 'ServiceUnavailable', RequestId: edas.headers['x-request-id'] })
  t.equal(edas.headers['x-acs-request-id'], edas.headers['x-request-id'])
  t.equal(edas.headers['retry-after'], '5')
  const workspace = await h.app.inject({ method: 'POST', url: WORKSPACE, headers: { 'content-type': 'application/json' }, payload: '{}' })
  t.equal(workspace.statusCode, 503)
  t.same(workspace.json(), { error_code: 'WKS.00503002', error_msg: 'Service unavailable: the service is overloaded; retry shortly' })
  const iotda = await h.app.inject({ method: 'POST', url: IOTDA })
  t.equal(iotda.statusCode, 503)
  t.match(iotda.json(), { error_code: 'IOTDA.999503' })
  const admin = await h.app.inject({ method: 'GET', url: '/admin/v1/projects' })
  t.equal(admin.statusCode, 503)
  t.same(admin.json(), { error: 'overloaded', message: 'the service is overloaded; retry shortly' })
  t.equal((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'liveness stays up: a busy instance is not a dead one')
  const ready = await h.app.inject({ method: 'GET', url: '/readyz' })
  t.equal(ready.statusCode, 503, `readiness takes the instance out of rotation (${ready.body})`)
  t.ok(h.logs.some((l) => l.code === 'overloaded'), 'refusals are logged with their code')
})

t.test('no shedding below the limits (the defaults leave a normal process alone)', async (t) => {
  const h = await buildTestApp(t, { STSGATE_MAX_EVENT_LOOP_DELAY_MS: '1000' })
  await new Promise((resolve) => setTimeout(resolve, 1100))
  t.equal((await h.app.inject({ method: 'GET', url: '/admin/v1/projects' })).statusCode, 401, 'the request reaches the admin API (and is refused there for want of a token)')
})

t.test('slow and oversized clients', async (t) => {
  const h = await buildTestApp(t, { STSGATE_HEADERS_TIMEOUT_MS: '500', STSGATE_REQUEST_TIMEOUT_MS: '1000', STSGATE_MAX_HEADER_BYTES: '2048' })
  const port = Number(new URL(await listen(t, h.app)).port)

  await t.test('slowloris: headers sent a byte at a time are cut off after the headers timeout', async (t) => {
    const header = 'X-Slow: ' + 'a'.repeat(60) + '\r\n'
    const chunks = ['GET /healthz HTTP/1.1\r\nHost: x\r\n', ...header.split('')]
    const { text, elapsedMs, sent } = await rawExchange(port, chunks, 50)
    t.ok(sent < chunks.length, `closed before the client finished (${sent} of ${chunks.length} chunks)`)
    t.ok(elapsedMs >= 450 && elapsedMs < 2500, `closed after ${elapsedMs} ms (headers timeout 500 ms, checked every 250 ms)`)
    t.match(text, /^HTTP\/1\.1 408 /, 'a bare 408, then the connection closes')
    t.notMatch(text, /statusCode/, 'never Fastify\'s generic body')
  })

  await t.test('a slow body is cut off after the request timeout', async (t) => {
    const head = `POST ${WORKSPACE} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`
    const { text, elapsedMs } = await rawExchange(port, [head, ...'{"app_file_name":"'.split('')], 150)
    t.ok(elapsedMs >= 900 && elapsedMs < 3000, `closed after ${elapsedMs} ms (request timeout 1000 ms)`)
    t.match(text, /^HTTP\/1\.1 408 /)
  })

  const oversized = (path: string): string[] => [`GET ${path} HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(4096)}\r\n\r\n`]

  await t.test('oversized headers: the contract\'s own 400, not Node\'s bare 431', async (t) => {
    const edas = await rawExchange(port, oversized(EDAS))
    t.match(edas.text, /^HTTP\/1\.1 400 /)
    t.match(edas.text, /\r\nx-acs-request-id: [0-9a-f-]{36}\r\n/)
    t.match(jsonBody(edas.text), { Code: 'InvalidParameter', Message: 'the request headers are too large', RequestId: String })
    const workspace = await rawExchange(port, oversized(WORKSPACE))
    t.same(jsonBody(workspace.text), { error_code: 'WKS.00400005', error_msg: 'Request URI or headers too large: the request headers are too large' })
    const iotda = await rawExchange(port, oversized(IOTDA))
    t.match(jsonBody(iotda.text), { error_code: 'IOTDA.000006' })
    const admin = await rawExchange(port, oversized('/admin/v1/projects'))
    t.same(jsonBody(admin.text), { error: 'request_too_large', message: 'the request headers are too large' })
  })

  await t.test('an over-long URL: the dialect of the contract its path is under, not the operator\'s', async (t) => {
    const long = (prefix: string): string[] => [`GET ${prefix}${'x'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`]
    const iotda = await rawExchange(port, long('/v5/iot/p1/devices/'))
    t.match(iotda.text, /^HTTP\/1\.1 400 /)
    t.match(jsonBody(iotda.text), { error_code: 'IOTDA.000006' })
    const workspace = await rawExchange(port, long('/v1/p1/app-warehouse/'))
    t.match(jsonBody(workspace.text), { error_code: 'WKS.00400005' })
    const edas = await rawExchange(port, long('/pop/v5/'))
    t.match(jsonBody(edas.text), { Code: 'InvalidParameter' })
    const admin = await rawExchange(port, long('/admin/v1/projects/'))
    t.match(jsonBody(admin.text), { error: 'request_too_large' })
  })

  await t.test('bytes that are not HTTP get the operator dialect\'s 400', async (t) => {
    const { text } = await rawExchange(port, ['HELLO\r\n\r\n'])
    t.match(text, /^HTTP\/1\.1 400 /)
    t.same(jsonBody(text), { error: 'bad_request', message: 'the request is malformed' })
  })

  await t.test('a body over 64 KiB: each contract\'s own refusal', async (t) => {
    const big = JSON.stringify({ app_file_name: 'x'.repeat(70 * 1024) })
    const post = (url: string) => fetch(`http://127.0.0.1:${port}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big })
    const workspace = await post(WORKSPACE)
    t.equal(workspace.status, 400)
    t.match(await workspace.json(), { error_code: 'WKS.00400004' })
    const iotda = await post(IOTDA)
    t.equal(iotda.status, 400)
    t.match(await iotda.json(), { error_code: 'IOTDA.000008' })
    const admin = await post('/admin/v1/projects')
    t.ok([401, 413].includes(admin.status), `admin: ${admin.status} (the token check may come first)`)
    t.match(await admin.json(), { error: String, message: String })
  })
})
