import { Type, type TSchema } from '@sinclair/typebox'

/** Project ids look like Huawei's: 32 lowercase hex characters. */
export const ProjectId = Type.String({ pattern: '^[0-9a-f]{32}$', description: 'Project id (32 lowercase hex characters)', examples: ['0f3a9c1e2b4d5f60718293a4b5c6d7e8'] })

export const Timestamp = Type.String({ format: 'date-time', description: 'UTC, ISO-8601' })

/** Object-key prefix: a name that reaches a session policy (docs/security.md rule 1). */
export const KeyPrefix = Type.String({
  minLength: 2,
  maxLength: 512,
  // Segments of safe characters, each followed by `/`; no `* ? $ { }`, no control characters (C0, DEL, C1 such as
  // U+0085) or lone surrogates, no `.`/`..` or empty segments: the rules validatePolicyPath applies at the vend.
  pattern: '^(?!.*(?:^|/)\\.{1,2}/)(?:[^/*?${}\\u0000-\\u001f\\u007f-\\u009f\\ud800-\\udfff\\\\]+/)+$',
  description: 'Object key prefix ending in "/"; no * ? $ { }, control characters, "." or ".." or empty segments'
})

/** The same schema with a description: @fastify/swagger uses it as the response's description. */
export const described = <T extends TSchema>(schema: T, description: string): T => ({ ...schema, description })
