import t from 'tap'
import { handSign, sendRaw, startHarness } from '../auth/huawei-fixtures.js'
import { authorize, postJson, startWorld, workspaceClient, type World } from './workspace-world.js'

/**
 * Signature edge cases against the running server (replay, clock skew,
 * tampering) and upstream failures through the fake Huawei IAM.
 */
const MINUTE = 60_000
const body = (name: string) => JSON.stringify({ app_file_name: name })

/** What the vendor SDK sends, captured byte for byte by a recording server. */
async function captureSdkRequest (t: Parameters<typeof startHarness>[0], w: World, derived: boolean, name = 'Postman.exe') {
  const capture = await startHarness(t, { verify: false })
  await workspaceClient({ endpoint: capture.endpoint }, w, derived).sendRequest(authorize(w.projectId, name))
  const raw = capture.received[0]
  if (raw === undefined) throw new Error('nothing captured')
  return raw
}

t.test('Workspace signatures and upstream failures', async (t) => {
  const w = await startWorld(t, { provider: 'huawei' })
  const host = `127.0.0.1:${w.port}`

  for (const derived of [false, true]) {
    t.test(`the exact same SDK request sent twice is refused the second time (${derived ? 'derived' : 'plain'})`, async (t) => {
      const raw = await captureSdkRequest(t, w, derived, `replay-${String(derived)}.exe`)
      const first = await sendRaw(w.port, raw)
      t.equal(first.status, 200, 'the captured request is valid')
      const again = await sendRaw(w.port, raw)
      t.equal(again.status, 401)
      t.same(again.body, { error_code: 'APIGW.0301', error_msg: 'Incorrect IAM authentication information: this signed request was already used' })
    })
  }

  t.test('a signed request whose body was swapped is refused', async (t) => {
    const raw = await captureSdkRequest(t, w, false, 'innocent.exe')
    const res = await sendRaw(w.port, { ...raw, body: Buffer.from(body('evil.exe')) })
    t.equal(res.status, 401)
    t.equal(res.body.error_code, 'APIGW.0301')
    t.match(res.body.error_msg, /signature does not match/)
  })

  t.test('a signature for another path (another project) cannot be moved', async (t) => {
    const raw = await captureSdkRequest(t, w, false, 'moved.exe')
    const other = await w.addProject('moved-to')
    const res = await sendRaw(w.port, { ...raw, url: w.authorizePath(other.projectId) })
    t.equal(res.status, 401, 'the signature covers the path')
  })

  t.test('clock skew: X-Sdk-Date more than 15 minutes away is refused; within it is accepted', async (t) => {
    const sign = (offsetMs: number, name: string) => handSign({
      url: w.authorizePath(), host, body: body(name), ak: w.ak, sk: w.sk, date: Date.now() + offsetMs, headers: { 'x-project-id': w.projectId }
    })
    t.equal((await sendRaw(w.port, sign(-10 * MINUTE, 'skew-ok.exe'))).status, 200, '10 minutes behind is fine')
    for (const offset of [-20 * MINUTE, 20 * MINUTE, -24 * 60 * MINUTE]) {
      const res = await sendRaw(w.port, sign(offset, 'skew.exe'))
      t.equal(res.status, 401, `${offset / MINUTE} minutes`)
      t.equal(res.body.error_code, 'APIGW.0301')
      t.match(res.body.error_msg, /X-Sdk-Date is more than 15 minutes away/)
    }
  })

  t.test('UNSIGNED-PAYLOAD is refused on this JSON route', async (t) => {
    const raw = handSign({
      url: w.authorizePath(), host, body: body('unsigned.exe'), ak: w.ak, sk: w.sk, headers: { 'x-sdk-content-sha256': 'UNSIGNED-PAYLOAD' }
    })
    const res = await sendRaw(w.port, raw)
    t.equal(res.status, 401)
    t.equal(res.body.error_code, 'APIGW.0301')
  })

  t.test('upstream failures (fake Huawei IAM)', async (t) => {
    const iam = w.iam!
    const post = (name: string) => postJson(w, w.authorizePath(), { body: body(name), headers: { 'x-auth-token': w.token } })
    t.teardown(() => iam.setMode('ok'))

    t.test('503 when IAM fails and nothing is cached; a cached credential keeps being served', async (t) => {
      t.equal((await post('cached-before-outage.exe')).status, 200)
      iam.setMode('fail')
      const res = await post('never-minted.exe')
      t.equal(res.status, 503)
      t.same(Object.keys(res.body).sort(), ['error_code', 'error_msg'])
      t.equal(res.body.error_code, 'WKS.00503001')
      t.match(res.body.error_msg, /^The storage credential service is unavailable: huawei STS is unavailable \(HTTP 500/)
      t.match(res.headers.get('x-request-id'), /^[0-9a-f-]{36}$/)
      t.equal((await post('cached-before-outage.exe')).status, 200, 'the cached credential still serves')
      iam.setMode('ok')
    })

    t.test('503 when IAM answers garbage', async (t) => {
      iam.setMode('garbage')
      const res = await post('garbage.exe')
      t.equal(res.status, 503)
      t.equal(res.body.error_code, 'WKS.00503001')
      iam.setMode('ok')
    })

    t.test('429 when IAM throttles', async (t) => {
      iam.setMode('throttle')
      const res = await post('throttled.exe')
      t.equal(res.status, 429)
      t.equal(res.body.error_code, 'WKS.00429001')
      iam.setMode('ok')
    })

    t.test('500 (misconfigured target) when IAM denies the configured account', async (t) => {
      iam.setMode('deny')
      const res = await post('denied.exe')
      t.equal(res.status, 500)
      t.equal(res.body.error_code, 'WKS.00500002')
      t.notMatch(JSON.stringify(res.body), /upstreamAccountSecret|HWUPSTREAMACCOUNTAK01/, 'no upstream key in the reply')
      iam.setMode('ok')
    })

    t.test('the SDK sees the 503 as a ServerResponseException with code and request id', async (t) => {
      iam.setMode('fail')
      let err: any
      try {
        await workspaceClient(w, w, false).sendRequest(authorize(w.projectId, 'sdk-outage.exe'))
      } catch (e) {
        err = e
      }
      t.equal(err?.httpStatusCode, 503)
      t.equal(err?.errorCode, 'WKS.00503001')
      t.match(err?.requestId, /^[0-9a-f-]{36}$/)
      iam.setMode('ok')
    })
  })
})
