import type { FastifyRequest } from 'fastify'

/** Admin changes are attributed to this actor in the audit log. */
export const ADMIN_ACTOR = 'admin'

/** OpenAPI decoration shared by every admin operation. */
export const adminDocs = { tags: ['admin'], security: [{ adminToken: [] }] }

/**
 * For operations whose body is entirely optional: a POST without a body is an
 * empty object. Fastify validates the body schema even when none was sent
 * (and `Type.Optional` means nothing at the root of a schema), so without this
 * `curl -X POST …/tokens` would answer 400.
 */
export async function absentBodyIsEmpty (req: FastifyRequest): Promise<void> {
  if (req.body === undefined) req.body = {}
}
