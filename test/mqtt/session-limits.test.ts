import t from 'tap'
import mqtt from 'mqtt'
import type { SessionLimitEvent } from '../../src/mqtt/broker.js'
import { connect, deviceLogin, inbox, startTestBroker } from './helpers.js'

const TOPIC = '$oc/devices/dev_1/sys/messages/down'

function events (): { seen: SessionLimitEvent[], record: (e: SessionLimitEvent) => void, next: (e: SessionLimitEvent) => Promise<void> } {
  const seen: SessionLimitEvent[] = []
  const waiting: Array<{ e: SessionLimitEvent, resolve: () => void }> = []
  return {
    seen,
    record (e) {
      seen.push(e)
      for (const w of waiting.splice(0)) { if (w.e === e) w.resolve(); else waiting.push(w) }
    },
    next: (e) => new Promise((resolve) => waiting.push({ e, resolve }))
  }
}

t.test('RETAIN is delivered to current subscribers but never stored', async (t) => {
  const ev = events()
  const b = await startTestBroker(t, { onSessionLimit: ev.record })
  const listener = await connect(t, b.url, deviceLogin('dev_1', 'primary-secret-1'))
  const log = inbox(listener)
  await listener.subscribeAsync(TOPIC, { qos: 1 })
  const sender = await connect(t, b.url, deviceLogin('dev_1', 'secondary-secret-1', undefined, 0))
  await sender.publishAsync(TOPIC, 'retain me', { qos: 1, retain: true })
  t.equal((await log.next()).payload, 'retain me', 'delivered live')
  t.same(ev.seen, ['retain_refused'])
  const retained: unknown[] = []
  for await (const packet of (b.broker as unknown as { persistence: { createRetainedStream: (p: string) => AsyncIterable<unknown> } }).persistence.createRetainedStream('#')) retained.push(packet)
  t.same(retained, [], 'nothing retained')
})

t.test('a clean=false session that left keeps at most the queue limit and gets exactly that on return', async (t) => {
  const ev = events()
  const b = await startTestBroker(t, {
    onSessionLimit: ev.record,
    sessionLimits: { maxQueuedMessages: 50, maxQueuedBytes: 1024 * 1024, sessionExpiryMs: 60_000 }
  })
  const login = { ...deviceLogin('dev_1', 'primary-secret-1'), clean: false }
  const away = await mqtt.connectAsync(b.url, { ...login, reconnectPeriod: 0, protocolVersion: 4 })
  await away.subscribeAsync(TOPIC, { qos: 1 })
  await away.endAsync()
  const sender = await connect(t, b.url, deviceLogin('dev_1', 'secondary-secret-1', undefined, 0))
  const payload = Buffer.alloc(16 * 1024, 0x71)
  for (let i = 0; i < 2000; i++) await sender.publishAsync(TOPIC, payload, { qos: 1 })
  t.equal(ev.seen.filter((e) => e === 'queue_full').length, 1950, '2000 × 16 KB sent while away: 1950 not queued')

  const back = await mqtt.connectAsync(b.url, { ...login, reconnectPeriod: 0, protocolVersion: 4 })
  t.teardown(() => back.endAsync(true))
  const log = inbox(back)
  for (let i = 0; i < 50; i++) await log.next()
  t.equal(log.messages.length, 50, 'the 50 queued messages are delivered on return')
})

t.test('the bytes limit holds too, and an expired session is gone (no session present, nothing queued)', async (t) => {
  const ev = events()
  const b = await startTestBroker(t, {
    onSessionLimit: ev.record,
    sessionLimits: { maxQueuedMessages: 1000, maxQueuedBytes: 64 * 1024, sessionExpiryMs: 200 }
  })
  const login = { ...deviceLogin('dev_1', 'primary-secret-1'), clean: false }
  const away = await mqtt.connectAsync(b.url, { ...login, reconnectPeriod: 0, protocolVersion: 4 })
  await away.subscribeAsync(TOPIC, { qos: 1 })
  const expired = ev.next('session_expired')
  await away.endAsync()
  const sender = await connect(t, b.url, deviceLogin('dev_1', 'secondary-secret-1', undefined, 0))
  for (let i = 0; i < 10; i++) await sender.publishAsync(TOPIC, Buffer.alloc(16 * 1024), { qos: 1 })
  t.equal(ev.seen.filter((e) => e === 'queue_full').length, 7, '64 KiB hold three 16 KiB messages and their topics')
  await expired
  const connack = new Promise<boolean>((resolve) => {
    const c = mqtt.connect(b.url, { ...login, reconnectPeriod: 0, protocolVersion: 4 })
    c.once('connect', (packet) => { resolve(packet.sessionPresent); c.end(true) })
  })
  t.equal(await connack, false, 'the broker no longer has the session')
})
