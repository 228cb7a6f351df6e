import t from 'tap'
import { ERROR_CATALOGUE, DomainError, invalid, type ErrorCode } from '../../src/errors.js'
import { NOT_MET, type DialectTable } from '../../routes/dialects/code-table.js'
import { POP_ERRORS, popErrorResponses } from '../../routes/dialects/pop.js'
import { WORKSPACE_ERRORS } from '../../routes/workspace-errors.js'
import { IOTDA_ERRORS } from '../../routes/iotda-errors.js'
import { huaweiErrorResponses } from '../../routes/dialects/huawei.js'

const KINDS = ['invalid', 'unauthenticated', 'forbidden', 'not_found', 'conflict', 'throttled', 'unavailable', 'misconfigured', 'internal']
const CODES = Object.keys(ERROR_CATALOGUE).sort() as ErrorCode[]
const TABLES: Record<string, DialectTable<{ status: number, code: string }>> = { edas: POP_ERRORS, workspace: WORKSPACE_ERRORS, iotda: IOTDA_ERRORS }

t.test('every catalogued code has a known kind, a message and a snake_case name', async (t) => {
  t.ok(CODES.length >= 50)
  for (const code of CODES) {
    const { kind, message } = ERROR_CATALOGUE[code]
    t.ok(/^[a-z][a-z0-9_]*$/.test(code), code)
    t.ok(KINDS.includes(kind), `${code}: ${kind}`)
    t.ok(message.length > 0 && message === message.trim(), `${code} has a message`)
  }
})

t.test('an error takes its kind and default message from the catalogue; a message of its own overrides', async (t) => {
  const plain = new DomainError('nonce_used')
  t.match(plain, { name: 'DomainError', kind: 'invalid', code: 'nonce_used', message: ERROR_CATALOGUE.nonce_used.message })
  const detailed = invalid('validation', 'body/name must be string')
  t.match(detailed, { kind: 'invalid', code: 'validation', message: 'body/name must be string' })
  const cause = new Error('ECONNREFUSED')
  t.equal(new DomainError('store_unavailable', undefined, { cause }).cause, cause)
})

t.test('each contract\'s table answers every catalogued code, and every kind', async (t) => {
  for (const [contract, table] of Object.entries(TABLES)) {
    t.same(Object.keys(table.codes).sort(), CODES, `${contract}: exactly the catalogue's codes`)
    t.same(Object.keys(table.kinds).sort(), [...KINDS].sort(), `${contract}: every kind`)
    for (const [code, answer] of Object.entries(table.codes)) {
      if (answer === NOT_MET) continue
      t.ok(answer.status >= 400 && answer.status < 600 && answer.code.length > 0, `${contract}: ${code} → ${answer.status} ${answer.code}`)
    }
  }
})

t.test('the documented responses name the codes a contract meets, never those it does not', async (t) => {
  const pop = popErrorResponses([400, 403, 404, 405, 429, 500, 503]) as Record<number, { description: string }>
  t.match(pop[404]!.description, /InvalidAccessKeyId\.NotFound: unknown AccessKeyId \(access_key_not_found\)/)
  t.match(pop[500]!.description, /PackageStorage\.Misconfigured: .*\(invalid_object_name, .*credential_lifetime_too_short.*\)/)
  const workspace = huaweiErrorResponses(WORKSPACE_ERRORS, [400, 401, 403, 404, 409, 500]) as Record<number, { description: string }>
  t.match(workspace[500]!.description, /WKS\.00500002 The app warehouse storage is misconfigured \(.*upstream_denied.*, any other misconfigured\)/)
  const text = (responses: Record<number, { description: string }>): string => Object.values(responses).map((r) => r.description).join('\n')
  for (const code of ['project_not_found', 'target_bound', 'identity_taken', 'unsigned_payload']) {
    t.notMatch(text(pop), new RegExp(`\\b${code}\\b`), `EDAS never meets ${code}`)
  }
  for (const code of ['nonce_used', 'target_bound', 'identity_taken', 'package_storage_not_configured']) {
    t.notMatch(text(workspace), new RegExp(`\\b${code}\\b`), `Workspace never meets ${code}`)
  }
})
