import type { TSchema } from '@sinclair/typebox'
import { described } from '../../schemas/common.js'
import { HuaweiError } from '../../schemas/huawei-error.js'
import type { DomainError, ErrorKind } from '../../src/errors.js'
import type { ErrorRenderer } from './install.js'

/**
 * The Huawei Cloud error dialect, shared by every Huawei-style contract
 * (Workspace, IoTDA): `{error_code, error_msg}` with the request id in the
 * `X-Request-Id` header (set globally). Each contract passes its own code
 * table; the gateway-level codes below are common to all of them.
 */
export interface HuaweiErrorEntry {
  status: number
  /** e.g. `APIGW.0301`, `WKS.00400001`, `IOTDA.000008`. */
  code: string
  /** Leads `error_msg`, followed by the domain error's message: `Incorrect IAM authentication information: …`. */
  title: string
}

export interface HuaweiCodeTable {
  /** By domain detail code (`DomainError.code`); looked up first. */
  codes: Readonly<Record<string, HuaweiErrorEntry>>
  /** Fallback by domain error kind, so no error escapes the table. */
  kinds: Readonly<Record<ErrorKind, HuaweiErrorEntry>>
}

/** Huawei API Gateway's own codes (APIG "Error Codes"; the gateway answers these before any service runs). */
export const APIGW = {
  authentication: { status: 401, code: 'APIGW.0301', title: 'Incorrect IAM authentication information' },
  notAuthorized: { status: 403, code: 'APIGW.0302', title: 'The IAM user is not authorized to access the API' },
  throttled: { status: 429, code: 'APIGW.0308', title: 'The throttling threshold has been reached' },
  noSuchApi: { status: 404, code: 'APIGW.0101', title: 'The API does not exist or has not been published in the environment' }
} as const satisfies Record<string, HuaweiErrorEntry>

/**
 * What the shared Huawei authentication hook (`app.authenticate.huawei`) throws, as the
 * gateway reports it. Spread into a contract's `codes`.
 */
export const HUAWEI_GATEWAY_CODES: Readonly<Record<string, HuaweiErrorEntry>> = {
  credentials_missing: APIGW.authentication,
  token_invalid: APIGW.authentication,
  token_expired: APIGW.authentication,
  incomplete_signature: APIGW.authentication,
  unsigned_payload: APIGW.authentication,
  timestamp_expired: APIGW.authentication,
  access_key_not_found: APIGW.authentication,
  signature_mismatch: APIGW.authentication,
  replayed: APIGW.authentication,
  token_disabled: APIGW.notAuthorized,
  access_key_disabled: APIGW.notAuthorized,
  route_not_found: APIGW.noSuchApi
}

export const huaweiEntry = (table: HuaweiCodeTable, err: DomainError): HuaweiErrorEntry =>
  table.codes[err.code] ?? table.kinds[err.kind]

/** An `ErrorRenderer` for `useErrorDialect`. */
export function huaweiErrorRenderer (table: HuaweiCodeTable): ErrorRenderer {
  return (err) => {
    const entry = huaweiEntry(table, err)
    return { status: entry.status, body: { error_code: entry.code, error_msg: `${entry.title}: ${err.message}` } }
  }
}

/**
 * Response schemas for the given statuses, each described with the codes the
 * table can answer with at that status and the domain codes behind them — the
 * OpenAPI document stays in step with the table.
 */
export function huaweiErrorResponses (table: HuaweiCodeTable, statuses: readonly number[]): Record<number, TSchema> {
  const byCode = new Map<string, { entry: HuaweiErrorEntry, causes: Set<string> }>()
  const add = (entry: HuaweiErrorEntry, cause: string): void => {
    const seen = byCode.get(entry.code) ?? { entry, causes: new Set<string>() }
    seen.causes.add(cause)
    byCode.set(entry.code, seen)
  }
  for (const [cause, entry] of Object.entries(table.codes)) add(entry, cause)
  for (const [kind, entry] of Object.entries(table.kinds)) add(entry, `any other ${kind}`)
  return Object.fromEntries(statuses.map((status) => {
    const lines = [...byCode.values()]
      .filter(({ entry }) => entry.status === status)
      .sort((a, b) => a.entry.code.localeCompare(b.entry.code))
      .map(({ entry, causes }) => `${entry.code} ${entry.title} (${[...causes].join(', ')})`)
    return [status, described(HuaweiError, lines.length > 0 ? lines.join('; ') : 'error')]
  }))
}
