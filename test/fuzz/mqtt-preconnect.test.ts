import t from 'tap'
import fc from 'fast-check'
import type { GuardCloseReason } from '../../src/mqtt/packet-guard.js'
import { connect, deviceLogin, inbox, startTestBroker } from '../mqtt/helpers.js'
import { closed, rawSocket, remainingLength } from '../mqtt/raw-mqtt.js'

/**
 * The attacker's view of the embedded broker: random packet types and
 * declared lengths (malformed varints included), with random bytes after
 * them, sent on raw sockets before any CONNECT. Every socket must end up
 * closed — by the packet guard, by aedes' parser, or by the connect timeout —
 * never logged in, and a real client must still be served afterwards.
 */
const RUNS = Number(process.env.STSGATE_FUZZ_SOCKETS ?? 300)

t.test(`${RUNS} random packets before CONNECT on raw sockets: each socket closed, the broker keeps serving`, async (t) => {
  const refused = new Map<GuardCloseReason, number>()
  const logins: boolean[] = []
  const b = await startTestBroker(t, {
    limits: { connectTimeoutMs: 200 },
    onConnectionRefused: (r) => refused.set(r, (refused.get(r) ?? 0) + 1),
    onLogin: (_kind, ok) => logins.push(ok)
  })
  const typeByte = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 255 }), weight: 3 }, { arbitrary: fc.constantFrom(0x10, 0x30, 0x82, 0xc0, 0xe0), weight: 2 })
  const length = fc.oneof(
    fc.integer({ min: 0, max: 300 }).map(remainingLength),
    fc.integer({ min: 0, max: 268_435_455 }).map(remainingLength),
    // Continuation bits that never end, or end after five bytes.
    fc.uint8Array({ minLength: 1, maxLength: 6 }).map((b) => Buffer.from(b.map((x) => x | 0x80))),
    fc.uint8Array({ minLength: 1, maxLength: 5 }).map((b) => Buffer.from(b))
  )
  const body = fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b))
  const split = fc.boolean()
  let cases = 0
  await fc.assert(fc.asyncProperty(typeByte, length, body, split, async (type, len, rest, inPieces) => {
    cases++
    const socket = await rawSocket(b.port)
    const bytes = Buffer.concat([Buffer.from([type]), len, rest])
    if (inPieces) for (const byte of bytes) socket.write(Buffer.from([byte]))
    else socket.write(bytes)
    await closed(socket)
  }), { numRuns: RUNS })
  t.equal(cases, RUNS)
  t.notOk(logins.includes(true), 'nothing logged in')
  t.equal(b.broker.connectedClients, 0, 'no client left registered')
  t.comment(`closed by the guard: ${JSON.stringify(Object.fromEntries(refused))}; by aedes: ${RUNS - [...refused.values()].reduce((a, n) => a + n, 0)}`)

  const client = await connect(t, b.url, deviceLogin('dev_1', 'primary-secret-1'))
  const log = inbox(client)
  await client.subscribeAsync('$oc/devices/dev_1/sys/commands/#', { qos: 1 })
  await client.publishAsync('$oc/devices/dev_1/sys/commands/x', 'still serving', { qos: 1 })
  t.equal((await log.next()).payload, 'still serving', 'a real client is served')
})
