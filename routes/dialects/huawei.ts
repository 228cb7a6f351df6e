import type { TSchema } from '@sinclair/typebox'
import { HuaweiError } from '../../schemas/huawei-error.js'
import type { DomainError, ErrorCode } from '../../src/errors.js'
import { answerFor, errorResponses, type DialectTable } from './code-table.js'
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

/** Every domain code → its answer (src/errors.ts), and a fallback per kind. */
export type HuaweiCodeTable = DialectTable<HuaweiErrorEntry>

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
export const HUAWEI_GATEWAY_CODES = {
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
} as const satisfies Partial<Record<ErrorCode, HuaweiErrorEntry>>

/** An `ErrorRenderer` for `useErrorDialect`. */
export function huaweiErrorRenderer (table: HuaweiCodeTable): ErrorRenderer {
  return (err) => {
    const entry = answerFor(table, err)
    return { status: entry.status, body: { error_code: entry.code, error_msg: `${entry.title}: ${err.message}` } }
  }
}

/**
 * Response schemas for the given statuses, each described with the codes the
 * table can answer with at that status and the domain codes behind them — the
 * OpenAPI document stays in step with the table.
 */
export const huaweiErrorResponses = (table: HuaweiCodeTable, statuses: readonly number[]): Record<number, TSchema> =>
  errorResponses(HuaweiError, table, statuses, {
    describe: (entry) => `${entry.code} ${entry.title}`,
    order: 'by code',
    // error_msg as renderHuaweiError writes it: the title, then the domain error's message.
    example: (entry, message) => ({ error_code: entry.code, error_msg: `${entry.title}: ${message}` })
  })
