import t, { type Test } from 'tap'
import mqtt, { type MqttClient } from 'mqtt'
import { devicePassword } from '../../src/mqtt/device-login.js'
import { startMqtt } from '../../src/mqtt/runtime.js'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { STORE_KINDS } from '../helpers/store.js'
import { iotdaProject, reset } from '../routes/iotda-fixtures.js'

/**
 * ResetDeviceSecret end to end: the HTTP route resets, a real mqtt.js device
 * logs in to the embedded broker sharing the app's store (docs/iotda.md
 * "Device MQTT login (IoTDA rule)").
 */

/** IoTDA timestamp: the UTC hour as YYYYMMDDHH. */
const hourStamp = (ms = Date.now()): string => new Date(ms).toISOString().replace(/[-T:]/g, '').slice(0, 10)

interface Login { deviceId: string, secret: string, signType?: 0 | 1, timestamp?: string }

async function startBroker (t: Test, app: TestApp): Promise<string> {
  const runtime = await startMqtt({ mode: 'embedded', host: '127.0.0.1', port: 0, requireTimestamp: false },
    { store: app.store, callers: app.app.callers, logger: app.app.log })
  t.teardown(() => runtime.close())
  return `mqtt://127.0.0.1:${runtime.broker?.port ?? 0}`
}

/** Logs in with the IoTDA rule; resolves to the client, or rejects with the broker's refusal. */
async function login (t: Test, url: string, { deviceId, secret, signType = 1, timestamp = hourStamp() }: Login): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, {
    clientId: `${deviceId}_0_${signType}_${timestamp}`,
    username: deviceId,
    password: devicePassword(secret, timestamp),
    reconnectPeriod: 0,
    protocolVersion: 4,
    connectTimeout: 5000
  }, false)
  t.teardown(() => client.endAsync(true))
  return client
}

async function refused (t: Test, url: string, attempt: Login, what: string): Promise<void> {
  const err = await login(t, url, attempt).then((c) => { c.end(true); return undefined }, (e: unknown) => e as Error & { code?: number })
  t.ok(err !== undefined, `${what}: refused`)
  t.match(err?.message ?? '', /Bad username or password|Not authorized/i, `${what}: bad username or password`)
}

/** The session still works: a QoS 1 publish on the device's own topic is acknowledged. */
async function alive (t: Test, client: MqttClient, deviceId: string, what: string): Promise<void> {
  await client.publishAsync(`$oc/devices/${deviceId}/sys/messages/up`, '{"content":"ping"}', { qos: 1 })
  t.ok(client.connected, `${what}: still connected`)
}

function closed (client: MqttClient, ms = 5000): Promise<boolean> {
  if (!client.connected) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    client.once('close', () => { clearTimeout(timer); resolve(true) })
  })
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

t.test('the worked example in docs/iotda.md', async (t) => {
  t.equal(devicePassword('3b93abcd_dc3c', '2019120219'), '55417e51f9cc11ba76a86b844fa0f8a0a5f5aa353cb733593dc513676352e1ba')
  t.equal(hourStamp(Date.UTC(2019, 11, 2, 19, 42)), '2019120219')
})

for (const kind of STORE_KINDS) {
  t.test(`${kind}: device login across secret resets`, async (t) => {
    const app = await buildTestApp(t, { kind })
    const url = await startBroker(t, app)

    t.test('a device logs in with its primary and with its secondary secret', async (t) => {
      const p = await iotdaProject(app)
      await alive(t, await login(t, url, { deviceId: p.deviceId, secret: p.primary }), p.deviceId, 'primary')
      await alive(t, await login(t, url, { deviceId: p.deviceId, secret: p.secondary, signType: 0 }), p.deviceId, 'secondary')
      await refused(t, url, { deviceId: p.deviceId, secret: 'not-the-secret' }, 'a wrong secret')
      await refused(t, url, { deviceId: 'no-such-device', secret: p.primary }, 'an unknown device')
    })

    t.test('PRIMARY reset without force_disconnect: the live session survives, the old primary is refused, the new one and the secondary log in', async (t) => {
      const p = await iotdaProject(app)
      const live = await login(t, url, { deviceId: p.deviceId, secret: p.primary })
      const res = await reset(app, p.projectId, p.deviceId, { token: p.token, body: { secret: 'rotated_primary1', force_disconnect: false } })
      t.equal(res.status, 200)
      await sleep(300) // give any (wrong) disconnect notice time to arrive
      await alive(t, live, p.deviceId, 'the session opened with the old primary')
      await refused(t, url, { deviceId: p.deviceId, secret: p.primary, signType: 0 }, 'the old primary')
      await alive(t, await login(t, url, { deviceId: p.deviceId, secret: 'rotated_primary1', signType: 0 }), p.deviceId, 'the new primary')
      await alive(t, await login(t, url, { deviceId: p.deviceId, secret: p.secondary, signType: 0, timestamp: hourStamp(Date.now() - 3_600_000) }), p.deviceId, 'the secondary')
    })

    t.test('SECONDARY reset: the primary keeps working, the old secondary is refused', async (t) => {
      const p = await iotdaProject(app)
      const res = await reset(app, p.projectId, p.deviceId, { token: p.token, body: { secret_type: 'SECONDARY' } })
      t.equal(res.status, 200)
      await refused(t, url, { deviceId: p.deviceId, secret: p.secondary }, 'the old secondary')
      await alive(t, await login(t, url, { deviceId: p.deviceId, secret: res.body.secret }), p.deviceId, 'the generated secondary')
      await alive(t, await login(t, url, { deviceId: p.deviceId, secret: p.primary, signType: 0 }), p.deviceId, 'the primary')
    })

    t.test('force_disconnect closes every live session of that device, and only of that device', async (t) => {
      const p = await iotdaProject(app)
      const bystander = await iotdaProject(app)
      const viaPrimary = await login(t, url, { deviceId: p.deviceId, secret: p.primary, signType: 1 })
      const viaSecondary = await login(t, url, { deviceId: p.deviceId, secret: p.secondary, signType: 0 })
      const other = await login(t, url, { deviceId: bystander.deviceId, secret: bystander.primary })
      const closings = [closed(viaPrimary), closed(viaSecondary)]
      const res = await reset(app, p.projectId, p.deviceId, { token: p.token, body: { secret: 'after_forced_1', force_disconnect: true } })
      t.equal(res.status, 200)
      t.same(await Promise.all(closings), [true, true], 'both sessions closed within 5 s')
      await alive(t, other, bystander.deviceId, 'another device')
      await refused(t, url, { deviceId: p.deviceId, secret: p.primary }, 'the old primary')
      await alive(t, await login(t, url, { deviceId: p.deviceId, secret: 'after_forced_1' }), p.deviceId, 'the new primary')
    })

    t.test('sign_type 1 refuses a timestamp outside the current hour ± 1; sign_type 0 checks only the password', async (t) => {
      const p = await iotdaProject(app)
      const stale = hourStamp(Date.now() - 3 * 3_600_000)
      const future = hourStamp(Date.now() + 3 * 3_600_000)
      await refused(t, url, { deviceId: p.deviceId, secret: p.primary, signType: 1, timestamp: stale }, 'three hours old')
      await refused(t, url, { deviceId: p.deviceId, secret: p.primary, signType: 1, timestamp: future }, 'three hours ahead')
      await refused(t, url, { deviceId: p.deviceId, secret: p.primary, signType: 1, timestamp: '2025023012' }, 'no such day')
      await alive(t, await login(t, url, { deviceId: p.deviceId, secret: p.primary, signType: 1, timestamp: hourStamp(Date.now() - 3_600_000) }), p.deviceId, 'one hour old')
      await alive(t, await login(t, url, { deviceId: p.deviceId, secret: p.primary, signType: 0, timestamp: stale }), p.deviceId, 'sign_type 0, stale timestamp')
    })

    t.test('disabling the project closes its devices\' live sessions and refuses new logins; another project\'s stay', async (t) => {
      const p = await iotdaProject(app)
      const other = await iotdaProject(app)
      const live = await login(t, url, { deviceId: p.deviceId, secret: p.primary })
      const bystander = await login(t, url, { deviceId: other.deviceId, secret: other.primary })
      const gone = closed(live)
      t.equal((await app.admin('PATCH', `/projects/${p.projectId}`, { disabled: true })).status, 200)
      t.ok(await gone, 'the live session is closed')
      await refused(t, url, { deviceId: p.deviceId, secret: p.primary }, 'a new login of the disabled project\'s device')
      await alive(t, bystander, other.deviceId, 'another project\'s device')
    })

    t.test('a reset that fails half-way leaves the old secrets logging in and keeps live sessions', async (t) => {
      const p = await iotdaProject(app)
      const live = await login(t, url, { deviceId: p.deviceId, secret: p.primary })
      await app.store.db.exec(`
        create function stsgate_test_refuse_reset() returns trigger language plpgsql as $$
          begin raise exception 'audit refused by test'; end $$;
        create trigger stsgate_test_refuse_reset before insert on audit_events
          for each row execute function stsgate_test_refuse_reset();`)
      t.teardown(() => app.store.db.exec('drop trigger if exists stsgate_test_refuse_reset on audit_events'))
      const res = await reset(app, p.projectId, p.deviceId, { token: p.token, body: { secret: 'never_in_force', force_disconnect: true } })
      t.equal(res.status, 500)
      t.equal(res.body.error_code, 'IOTDA.999500')
      await sleep(300)
      await alive(t, live, p.deviceId, 'the live session (no disconnect notice was committed)')
      await refused(t, url, { deviceId: p.deviceId, secret: 'never_in_force', signType: 0 }, 'the secret that was never committed')
      await alive(t, await login(t, url, { deviceId: p.deviceId, secret: p.primary, signType: 0 }), p.deviceId, 'the old primary')
      await alive(t, await login(t, url, { deviceId: p.deviceId, secret: p.secondary, signType: 0, timestamp: hourStamp(Date.now() + 3_600_000) }), p.deviceId, 'the old secondary')
    })
  })
}
