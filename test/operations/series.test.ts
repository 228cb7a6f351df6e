import t from 'tap'
import { MetricSeries } from '../../src/operations/series.js'
import type { CredentialCounters } from '../../src/credentials/service.js'

const counters = (): CredentialCounters => ({
  hits: 0, misses: 0, refreshes: 0, staleServed: 0, budgetRejections: 0, negativeHits: 0,
  upstreamCalls: { local: 0, aliyun: 0, aws: 0, huawei: 0 }, upstreamFailures: { local: 0, aliyun: 0, aws: 0, huawei: 0 }
})

t.test('each sample is what happened in its interval; the open interval is read live', async (t) => {
  let now = 0
  const c = counters()
  let sessions: number | undefined = 3
  const series = new MetricSeries({ counters: c, mqttSessions: () => sessions }, () => now)
  c.hits += 5
  c.misses += 1
  c.upstreamCalls.aliyun += 1
  now = 10_000
  series.sample()
  c.upstreamCalls.aliyun += 2
  c.upstreamFailures.aliyun += 2
  sessions = undefined
  now = 20_000
  series.sample()
  c.hits += 1
  const { points, current } = series.read()
  t.match(points, [
    { at: 10_000, vends: 6, hits: 5, misses: 1, upstreamCalls: { aliyun: 1 }, upstreamFailures: { aliyun: 0 }, mqttSessions: 3 },
    { at: 20_000, vends: 0, upstreamCalls: { aliyun: 2 }, upstreamFailures: { aliyun: 2 }, mqttSessions: null }
  ])
  t.match(current, { vends: 1, hits: 1 }, 'a vend shows before the next sample')
})

t.test('the ring keeps the last hour (360 points), oldest first', async (t) => {
  let now = 0
  const c = counters()
  const series = new MetricSeries({ counters: c, mqttSessions: () => undefined }, () => now)
  for (let i = 1; i <= 400; i++) {
    c.hits += i
    now = i * 10_000
    series.sample()
  }
  const { points } = series.read()
  t.equal(points.length, 360)
  t.equal(points[0]?.hits, 41, 'the 40 oldest were overwritten')
  t.equal(points.at(-1)?.hits, 400)
})
