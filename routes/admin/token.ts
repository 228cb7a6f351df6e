import type { FastifyRequest } from 'fastify'
import { safeEqual } from '../../src/keys.js'
import { unauthenticated } from '../../src/errors.js'

/** An onRequest hook: `Authorization: Bearer <admin token>`, compared in constant time. */
export const requireAdminToken = (adminToken: string) => async (req: FastifyRequest): Promise<void> => {
  const header = req.headers.authorization ?? ''
  const presented = header.startsWith('Bearer ') ? header.slice(7) : ''
  if (!safeEqual(presented, adminToken)) throw unauthenticated('unauthenticated')
}
