import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { VendAuditLog, type VendAuditSink } from '../../src/credentials/vend-audit.js'
import type { AuditEvent } from '../../src/store/audit.js'
import type { Scope } from '../../src/domain/scope.js'
import { startWorld } from '../routes/workspace-world.js'
import { STORE_KINDS, openTestStore } from '../helpers/store.js'

const scope = (i: number): Scope => ({
  target: { id: 'tgt-1' } as Scope['target'],
  resource: { kind: 'prefix', prefix: `media/${i}/` },
  actions: ['get', 'put'],
  durationSeconds: 900,
  projectId: 'p1'
})
const vend = (i: number) => ({ scope: scope(i), principal: 'ak:AK1', contract: 'edas', expiresAt: new Date(0), fromCache: i % 2 === 0 })

function memorySink (): VendAuditSink & { batches: AuditEvent[][], failing: boolean } {
  const sink = {
    batches: [] as AuditEvent[][],
    failing: false,
    async appendAudit (_chain: string, events: readonly AuditEvent[]) {
      if (sink.failing) throw new Error('store down')
      sink.batches.push([...events])
    }
  }
  return sink
}

t.test('record only queues; the timer writes one batch per tick, in order', async (t) => {
  const sink = memorySink()
  const log = new VendAuditLog(sink, { instanceId: 'i1', intervalMs: 50 })
  t.teardown(() => log.close())
  for (let i = 0; i < 3; i++) log.record(vend(i))
  t.equal(sink.batches.length, 0, 'nothing written on the hot path')
  t.equal(log.pending, 3)
  await sleep(120)
  t.equal(sink.batches.length, 1)
  t.same(sink.batches[0]!.map((e) => e.detail?.prefix), ['media/0/', 'media/1/', 'media/2/'])
  t.match(sink.batches[0]![0], {
    projectId: 'p1', actor: 'ak:AK1', action: 'credential.vend', subject: 'tgt-1',
    detail: { contract: 'edas', actions: ['put', 'get'], duration_seconds: 900, expires_at: '1970-01-01T00:00:00.000Z', from_cache: true }
  })
  t.equal(log.chain, 'vend:i1')
})

t.test('a failed flush keeps the events and the next one writes them; overflow is dropped and counted', async (t) => {
  const sink = memorySink()
  const errors: string[] = []
  const log = new VendAuditLog(sink, { instanceId: 'i2', intervalMs: 60_000, maxQueue: 5, maxBatch: 2, logger: { warn: (_o, m) => errors.push(m), error: (_o, m) => errors.push(m) } })
  sink.failing = true
  for (let i = 0; i < 7; i++) log.record(vend(i))
  await log.flush()
  t.equal(log.counters.flushFailures, 1)
  t.equal(log.pending, 5, 'bounded queue')
  t.equal(log.counters.dropped, 2)
  t.ok(errors.some((m) => /queue full/.test(m)), 'dropping is logged')
  sink.failing = false
  await log.close()
  t.equal(log.pending, 0)
  t.same(sink.batches.map((b) => b.length), [2, 2, 1], 'batches of at most maxBatch, oldest first')
  t.same(log.counters, { recorded: 5, written: 5, dropped: 2, flushFailures: 1 })
})

for (const kind of STORE_KINDS) {
  t.test(`${kind}: a batch commits as one chain segment; verify catches a changed and a deleted vend row`, async (t) => {
    const store = await openTestStore(t, kind)
    const log = new VendAuditLog(store, { instanceId: 'inst-a', intervalMs: 60_000 })
    for (let i = 0; i < 12; i++) log.record(vend(i))
    await log.flush()
    const other = new VendAuditLog(store, { instanceId: 'inst-b', intervalMs: 60_000 })
    other.record(vend(99))
    await other.close()
    log.record(vend(12))
    await log.close()
    const all = await store.verifyAllAudit()
    t.same(all, [
      { chain: 'admin', events: 0, ok: true },
      { chain: 'vend:inst-a', events: 13, ok: true },
      { chain: 'vend:inst-b', events: 1, ok: true }
    ])
    const rows = await store.db.query<{ seq: string }>("select seq::text as seq from audit_events where chain = 'vend:inst-a' order by audit_events.seq")
    await store.db.query("update audit_events set detail = jsonb_set(detail, '{prefix}', '\"media/\"') where seq = $1", [rows[3]!.seq])
    const changed = (await store.verifyAllAudit()).find((r) => r.chain === 'vend:inst-a')
    t.match(changed, { ok: false, problem: /content does not match/ }, 'a widened prefix is caught')
    await store.db.query('delete from audit_events where seq = $1', [rows[3]!.seq])
    const deleted = (await store.verifyAllAudit()).find((r) => r.chain === 'vend:inst-a')
    t.match(deleted, { ok: false, problem: /does not follow the previous event/ }, 'a deleted row is caught')
    t.ok((await store.verifyAllAudit()).find((r) => r.chain === 'vend:inst-b')?.ok, 'the other instance\'s chain is unaffected')
    await store.db.query("delete from audit_events where chain = 'vend:inst-b'")
    t.match((await store.verifyAllAudit()).find((r) => r.chain === 'vend:inst-b'), { ok: false, events: 0, problem: /chain head/ }, 'a chain emptied entirely is still reported')
  })
}

t.test('every Workspace vend is in the vend chain within a second, and the rest on close; no secret in it', async (t) => {
  const world = await startWorld(t)
  const { app, store } = world.test
  const authorize = (name: string) => app.inject({
    method: 'POST', url: world.authorizePath(), headers: { 'x-auth-token': world.token, 'content-type': 'application/json' },
    payload: JSON.stringify({ app_file_name: name })
  })
  const secrets: string[] = []
  for (const name of ['a.exe', 'b.exe', 'a.exe']) {
    const res = await authorize(name)
    t.equal(res.statusCode, 200, res.body)
    secrets.push(res.json().sk, res.json().security_token)
  }
  const chain = app.vendAudit.chain
  const rowsOf = () => store.db.query<{ actor: string, project_id: string, subject: string, detail: Record<string, unknown> }>(
    'select * from audit_events where chain = $1 order by audit_events.seq', [chain])
  const deadline = Date.now() + 1_500
  while ((await rowsOf()).length < 3 && Date.now() < deadline) await sleep(50)
  const rows = await rowsOf()
  t.equal(rows.length, 3, 'flushed within a second and a half, with no shutdown')
  t.match(rows[0], { actor: /^token:/, project_id: world.projectId, detail: { contract: 'workspace', object: `${world.directory}a.exe`, actions: ['put', 'delete'], from_cache: false } })
  t.match(rows[2], { detail: { from_cache: true } }, 'a cache hit is a vend too')
  const text = JSON.stringify(rows)
  for (const s of secrets) t.notOk(text.includes(s), 'no secret or token in the audit rows')

  await authorize('c.exe')
  await app.close()
  const after = await store.db.query('select 1 from audit_events where chain = $1', [chain])
  t.equal(after.length, 4, 'the last vend is written on shutdown')
})

t.test('identical vends in one window are one event with a count; the next window starts anew', async (t) => {
  const sink = memorySink()
  let clock = Date.parse('2026-11-24T10:00:00.000Z')
  const log = new VendAuditLog(sink, { instanceId: 'i3', intervalMs: 60_000, now: () => clock })
  for (let i = 0; i < 1000; i++) { log.record(vend(2)); clock += 1 }
  log.record({ ...vend(2), principal: 'ak:AK2' })
  log.record({ ...vend(2), fromCache: false })
  t.equal(log.pending, 3, 'another caller or a fresh mint is an event of its own')
  await log.flush()
  log.record(vend(2))
  await log.close()
  const [first, second] = sink.batches
  t.match(first![0], { at: new Date('2026-11-24T10:00:00.000Z'), detail: { count: 1000, last_at: '2026-11-24T10:00:00.999Z', prefix: 'media/2/' } })
  t.match(first![1], { actor: 'ak:AK2', detail: { count: 1 } })
  t.match(first![2], { detail: { count: 1, from_cache: false } })
  t.match(second, [{ detail: { count: 1 } }], 'after a flush, the same vend is a new event')
  t.same(log.counters, { recorded: 1003, written: 4, dropped: 0, flushFailures: 0 })
})
