import t from 'tap'
import { DeviceSecretService, DEVICE_SECRET_PATTERN } from '../../src/devices/service.js'
import { isDomainError, notFound } from '../../src/errors.js'
import type { SecretType } from '../../src/store/devices.js'
import { openTestStore } from '../helpers/store.js'

interface Call { projectId: string, deviceId: string, type: SecretType, secret: string, audit: { actor: string, generated: boolean, forceDisconnect: boolean } }

function recordingDevices (fail?: Error): { calls: Call[], resetSecret: (...args: any[]) => Promise<void> } {
  const calls: Call[] = []
  return {
    calls,
    async resetSecret (projectId: string, deviceId: string, type: SecretType, secret: string, audit: Call['audit']) {
      calls.push({ projectId, deviceId, type, secret, audit })
      if (fail !== undefined) throw fail
    }
  }
}

const base = { projectId: 'p1', deviceId: 'dev-1', secretType: 'PRIMARY' as const, forceDisconnect: false, actor: 'token:t1' }

t.test('a given secret is stored as given and reported as not generated', async (t) => {
  const devices = recordingDevices()
  const result = await new DeviceSecretService(devices).reset({ ...base, secret: 'given_secret-1', secretType: 'SECONDARY', forceDisconnect: true })
  t.same(result, { deviceId: 'dev-1', secret: 'given_secret-1', secretType: 'SECONDARY' })
  t.same(devices.calls, [{ projectId: 'p1', deviceId: 'dev-1', type: 'SECONDARY', secret: 'given_secret-1', audit: { actor: 'token:t1', generated: false, forceDisconnect: true } }])
})

t.test('an absent secret is generated from the CSPRNG: 32 hex characters, fresh each time', async (t) => {
  const devices = recordingDevices()
  const service = new DeviceSecretService(devices)
  const a = await service.reset(base)
  const b = await service.reset({ ...base, secret: undefined })
  t.match(a.secret, /^[0-9a-f]{32}$/)
  t.match(b.secret, /^[0-9a-f]{32}$/)
  t.not(a.secret, b.secret)
  t.ok(DEVICE_SECRET_PATTERN.test(a.secret), 'a generated secret obeys the IoTDA rule itself')
  t.same(devices.calls.map((c) => c.audit.generated), [true, true])
  t.same(devices.calls.map((c) => c.secret), [a.secret, b.secret])
})

t.test('the generator is injectable', async (t) => {
  const result = await new DeviceSecretService(recordingDevices(), () => 'fixed-generated').reset(base)
  t.equal(result.secret, 'fixed-generated')
})

t.test('a secret outside the IoTDA rule is refused before the store is touched, without echoing it', async (t) => {
  for (const secret of ['', 'short', 'x'.repeat(33), 'with space', 'semi;colon1', 'ünïcode-1']) {
    const devices = recordingDevices()
    const err = await new DeviceSecretService(devices).reset({ ...base, secret }).catch((e: unknown) => e)
    t.ok(isDomainError(err), secret)
    t.match(err, { kind: 'invalid', code: 'invalid_secret' })
    if (secret.length > 0) t.notMatch((err as Error).message, secret)
    t.same(devices.calls, [])
  }
  for (const secret of ['exactly8', 'y'.repeat(32), 'A-z_0-9-abc']) {
    t.equal((await new DeviceSecretService(recordingDevices()).reset({ ...base, secret })).secret, secret)
  }
})

t.test('a store failure propagates unchanged (the route renders it)', async (t) => {
  const missing = notFound('device_not_found', 'device dev-1 does not exist in project p1')
  await t.rejects(new DeviceSecretService(recordingDevices(missing)).reset(base), missing)
})

t.test('on a real store the new secret is durable when reset returns; the other type is untouched', async (t) => {
  const store = await openTestStore(t)
  const project = await store.projects.create({ name: 'svc' }, 'test')
  await store.devices.create(project.projectId, { deviceId: 'dev-svc', secret: 'old-primary', secondarySecret: 'old-secondary' }, 'test')
  const service = new DeviceSecretService(store.devices)
  const { secret } = await service.reset({ ...base, projectId: project.projectId, deviceId: 'dev-svc' })
  t.same(await store.devices.findForLogin('dev-svc'), { projectId: project.projectId, primarySecret: secret, secondarySecret: 'old-secondary' })
  await service.reset({ ...base, projectId: project.projectId, deviceId: 'dev-svc', secret: 'new-secondary', secretType: 'SECONDARY' })
  t.same(await store.devices.findForLogin('dev-svc'), { projectId: project.projectId, primarySecret: secret, secondarySecret: 'new-secondary' })
  const other = await store.projects.create({ name: 'other' }, 'test')
  await t.rejects(service.reset({ ...base, projectId: other.projectId, deviceId: 'dev-svc' }), { kind: 'not_found', code: 'device_not_found' })
})
