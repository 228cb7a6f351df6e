import type { TSchema } from '@sinclair/typebox'
import { described } from '../../schemas/common.js'
import { ERROR_CATALOGUE, type DomainError, type ErrorCode, type ErrorKind } from '../../src/errors.js'

/**
 * How a contract answers every domain error: one entry per code of the
 * catalogue (src/errors.ts) — typed `Record<ErrorCode, …>`, so a new code that
 * a contract does not map fails the type check — plus one per kind, for an
 * error that carries a code the table marks as never met.
 */
export interface DialectTable<Answer> {
  codes: CodeTable<Answer>
  kinds: Readonly<Record<ErrorKind, Answer>>
}

/** A code the contract never meets (it belongs to the admin API, MQTT or another contract); if it ever does, its kind decides. */
export const NOT_MET = 'not met on this contract'

export type CodeTable<Answer> = Readonly<Record<ErrorCode, Answer | typeof NOT_MET>>

/** `...notMet('target_bound', 'prefix_taken')` in a code table. */
export function notMet<const C extends readonly ErrorCode[]> (...codes: C): Record<C[number], typeof NOT_MET> {
  const entries: Partial<Record<ErrorCode, typeof NOT_MET>> = {}
  for (const code of codes) entries[code] = NOT_MET
  return entries as Record<C[number], typeof NOT_MET>
}

export function answerFor<Answer> (table: DialectTable<Answer>, err: DomainError): Answer {
  const answer = table.codes[err.code]
  return answer === undefined || answer === NOT_MET ? table.kinds[err.kind] : answer
}

export interface WireCode { status: number, code: string }

/**
 * One OpenAPI response per status, described with the wire codes the table
 * can answer at that status, each with what it means and the domain codes
 * behind it — so the document stays in step with the table. Each wire code
 * also gets an example body, built by `example` from the default message of
 * the first domain code behind it.
 */
export function errorResponses<Answer extends WireCode> (
  schema: TSchema,
  table: DialectTable<Answer>,
  statuses: readonly number[],
  options: { describe: (answer: Answer) => string, order: 'by code' | 'as listed', example: (answer: Answer, message: string) => object }
): Record<number, TSchema> {
  const byCode = new Map<string, { answer: Answer, causes: string[], message: string }>()
  const add = (answer: Answer, cause: string, message: string): void => {
    const seen = byCode.get(answer.code)
    if (seen === undefined) byCode.set(answer.code, { answer, causes: [cause], message })
    else seen.causes.push(cause)
  }
  for (const [code, answer] of Object.entries(table.codes) as Array<[ErrorCode, Answer | typeof NOT_MET]>) {
    if (answer !== NOT_MET) add(answer, code, ERROR_CATALOGUE[code].message)
  }
  for (const [kind, answer] of Object.entries(table.kinds)) add(answer, `any other ${kind}`, KIND_MESSAGES[kind as ErrorKind])
  const listed = [...byCode.values()]
  if (options.order === 'by code') listed.sort((a, b) => a.answer.code.localeCompare(b.answer.code))
  return Object.fromEntries(statuses.map((status) => {
    const atStatus = listed.filter(({ answer }) => answer.status === status)
    const lines = atStatus.map(({ answer, causes }) => `${options.describe(answer)} (${causes.join(', ')})`)
    const examples = atStatus.map(({ answer, message }) => options.example(answer, message))
    return [status, { ...described(schema, lines.length > 0 ? lines.join('; ') : 'error'), ...(examples.length > 0 ? { examples } : {}) }]
  }))
}

/** The message of an example for a wire code answered only by kind. */
const KIND_MESSAGES: Readonly<Record<ErrorKind, string>> = {
  invalid: 'the request is malformed',
  unauthenticated: 'the request signature does not match',
  forbidden: 'not allowed',
  not_found: 'no such resource',
  conflict: 'it already exists',
  throttled: 'too many requests; retry later',
  unavailable: 'the store is unreachable',
  misconfigured: 'the target is misconfigured',
  internal: 'internal error'
}
