import t from 'tap'
import { LastUsedLog } from '../../src/auth/last-used.js'

/** A sink that records each flush, and fails while `down` is set. */
function sink () {
  const written: Array<{ keys: Record<string, string>, tokens: Record<string, string> }> = []
  let down = false
  let pendingKeys: Record<string, string> = {}
  const entries = (m: ReadonlyMap<string, Date>) => Object.fromEntries([...m].map(([id, at]) => [id, at.toISOString()]))
  return {
    written,
    setDown (value: boolean) { down = value },
    accessKeys: { async recordLastUsed (uses: ReadonlyMap<string, Date>) { if (down) throw new Error('store down'); pendingKeys = entries(uses) } },
    tokens: { async recordLastUsed (uses: ReadonlyMap<string, Date>) { written.push({ keys: pendingKeys, tokens: entries(uses) }) } }
  }
}

t.test('one write per flush for every key and token seen, the latest time of each', async (t) => {
  let now = Date.parse('2026-01-01T00:00:00Z')
  const s = sink()
  const log = new LastUsedLog(s, { now: () => now, intervalMs: 3_600_000 })
  t.teardown(() => log.close())
  log.record('ak:SGA')
  now += 1000
  log.record('ak:SGA')
  log.record('token:0123456789abcdef')
  log.record('gateway:DOCK1')
  t.equal(log.pending, 2, 'gateways are not keys or tokens')
  await log.flush()
  t.same(s.written, [{ keys: { SGA: '2026-01-01T00:00:01.000Z' }, tokens: { '0123456789abcdef': '2026-01-01T00:00:01.000Z' } }])
  await log.flush()
  t.equal(s.written.length, 1, 'nothing new, nothing written')
})

t.test('a failed flush keeps its entries for the next one, unless a newer use came meanwhile', async (t) => {
  let now = Date.parse('2026-01-01T00:00:00Z')
  const warnings: string[] = []
  const s = sink()
  const log = new LastUsedLog(s, { now: () => now, intervalMs: 3_600_000, logger: { warn: (_o, msg) => warnings.push(msg) } })
  log.record('ak:SGA')
  log.record('ak:SGB')
  s.setDown(true)
  await log.flush()
  t.equal(s.written.length, 0)
  t.match(warnings, [/last-used flush failed/])
  now += 5000
  log.record('ak:SGB')
  s.setDown(false)
  await log.close()
  t.same(s.written, [{ keys: { SGB: '2026-01-01T00:00:05.000Z', SGA: '2026-01-01T00:00:00.000Z' }, tokens: {} }], 'close flushes what is left')
})
