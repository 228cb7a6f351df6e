import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'

const MASTER_KEY = Buffer.alloc(32, 7).toString('base64')
const ADMIN_TOKEN = 'a-long-enough-admin-token-0123456789abcdef'

/** The problems a bad environment produces (loadConfig must throw ConfigError). */
function problems (env: Record<string, string>): string[] {
  try {
    loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  throw new Error('expected a ConfigError')
}

t.test('an empty environment gives the embedded defaults', async (t) => {
  const config = loadConfig({})
  t.match(config, {
    host: '127.0.0.1',
    port: 3000,
    dataDir: './data',
    databaseUrl: undefined,
    adminToken: undefined,
    masterKey: undefined,
    tls: undefined,
    logLevel: 'info',
    trustProxy: false,
    allowCustomUpstreams: false,
    upstreamTimeoutMs: 5000,
    mqtt: { port: 1883, host: '127.0.0.1', url: undefined, requireTimestamp: false, connectTimeoutMs: 10000, maxPacketBytes: 262144, loginFailuresPerAddress: 30, loginFailuresPerIdentity: 10, loginChecks: 4, maxQueuedMessages: 1000, maxQueuedBytes: 1048576, sessionExpirySeconds: 3600 },
    dji: { expireMarginSeconds: 300, prefixTemplate: 'media/{gateway_sn}/' }
  })
})

t.test('an empty string counts as unset', async (t) => {
  t.equal(loadConfig({ STSGATE_PORT: '', STSGATE_DATABASE_URL: '' }).port, 3000)
})

t.test('set values are parsed into their types', async (t) => {
  const config = loadConfig({
    STSGATE_PORT: '8080', STSGATE_MASTER_KEY: MASTER_KEY, STSGATE_ADMIN_TOKEN: ADMIN_TOKEN,
    STSGATE_DATABASE_URL: 'postgres://u@db/stsgate', STSGATE_ALLOW_CUSTOM_UPSTREAMS: '1',
    STSGATE_MQTT_HOST: '0.0.0.0', STSGATE_TLS_CERT: '/c.pem', STSGATE_TLS_KEY: '/k.pem'
  })
  t.equal(config.port, 8080)
  t.same(config.masterKey, Buffer.alloc(32, 7))
  t.equal(config.adminToken, ADMIN_TOKEN)
  t.equal(config.allowCustomUpstreams, true)
  t.equal(config.mqtt.host, '0.0.0.0')
  t.same(config.tls, { certFile: '/c.pem', keyFile: '/k.pem' })
})

const BAD: Array<[string, string]> = [
  ['STSGATE_PORT', '70000'],
  ['STSGATE_PORT', 'http'],
  ['STSGATE_MQTT_PORT', '-1'],
  ['STSGATE_DATABASE_URL', 'mysql://secret-password@db/x'],
  ['STSGATE_ADMIN_TOKEN', 'short-secret-token'],
  ['STSGATE_MASTER_KEY', 'c2VjcmV0LWJ1dC10b28tc2hvcnQ='],
  ['STSGATE_LOG_LEVEL', 'loud'],
  ['STSGATE_ALLOW_CUSTOM_UPSTREAMS', 'yes'],
  ['STSGATE_MQTT_REQUIRE_TIMESTAMP', 'maybe'],
  ['STSGATE_UPSTREAM_TIMEOUT_MS', '5'],
  ['STSGATE_REDIS_URL', 'http://cache'],
  ['STSGATE_MQTT_URL', 'tcp://broker'],
  ['STSGATE_MQTT_CONNECT_TIMEOUT_MS', '50'],
  ['STSGATE_MQTT_MAX_PACKET_BYTES', '1024'],
  ['STSGATE_DJI_EXPIRE_MARGIN_SECONDS', '99999'],
  ['STSGATE_DJI_PREFIX_TEMPLATE', 'media/*/']
]

for (const [name, value] of BAD) {
  t.test(`${name}=${value} gives one line naming the variable and not echoing the value`, async (t) => {
    const found = problems({ [name]: value })
    t.equal(found.length, 1)
    t.match(found[0], new RegExp(`^${name}: invalid value; expected `))
    t.notOk(found[0]!.includes(value), 'the value is not echoed')
  })
}

t.test('every bad variable is listed, one line each', async (t) => {
  const found = problems({ STSGATE_PORT: 'x', STSGATE_LOG_LEVEL: 'loud', STSGATE_MASTER_KEY: 'nope' })
  t.same(found.map((p) => p.split(':')[0]), ['STSGATE_PORT', 'STSGATE_MASTER_KEY', 'STSGATE_LOG_LEVEL'])
  t.match(new ConfigError(found).message.split('\n').length, 3)
})

t.test('STSGATE_DATABASE_URL without master key and admin token fails', async (t) => {
  const found = problems({ STSGATE_DATABASE_URL: 'postgres://db/stsgate' })
  t.equal(found.length, 2)
  t.match(found[0], /^STSGATE_MASTER_KEY: required when STSGATE_DATABASE_URL is set/)
  t.match(found[1], /^STSGATE_ADMIN_TOKEN: required when STSGATE_DATABASE_URL is set/)
  t.same(problems({ STSGATE_DATABASE_URL: 'postgres://db/stsgate', STSGATE_MASTER_KEY: MASTER_KEY }).length, 1)
  t.ok(loadConfig({ STSGATE_DATABASE_URL: 'postgresql://db/stsgate', STSGATE_MASTER_KEY: MASTER_KEY, STSGATE_ADMIN_TOKEN: ADMIN_TOKEN }))
})

t.test('a TLS certificate without its key (or the reverse) fails', async (t) => {
  t.same(problems({ STSGATE_TLS_CERT: '/cert.pem' }), ['STSGATE_TLS_CERT and STSGATE_TLS_KEY: set both or neither'])
  t.same(problems({ STSGATE_TLS_KEY: '/key.pem' }), ['STSGATE_TLS_CERT and STSGATE_TLS_KEY: set both or neither'])
})

t.test('STSGATE_TRUST_PROXY: off, on, a hop count, or a list of addresses', async (t) => {
  const trust = (value: string) => loadConfig({ STSGATE_TRUST_PROXY: value }).trustProxy
  t.equal(trust('false'), false)
  t.equal(trust('0'), false)
  t.equal(trust('true'), true)
  t.equal(trust('2'), 2)
  t.equal(trust('10.0.0.0/8,127.0.0.1'), '10.0.0.0/8,127.0.0.1')
})

t.test('the MQTT host follows STSGATE_HOST unless set', async (t) => {
  t.equal(loadConfig({ STSGATE_HOST: '0.0.0.0' }).mqtt.host, '0.0.0.0')
  t.equal(loadConfig({ STSGATE_HOST: '0.0.0.0', STSGATE_MQTT_HOST: '127.0.0.1' }).mqtt.host, '127.0.0.1')
})
