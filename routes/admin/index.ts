import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { safeEqual } from '../../src/keys.js'
import { unauthenticated } from '../../src/errors.js'
import { useErrorDialect } from '../dialects/install.js'
import { renderAdminError } from './dialect.js'
import projects from './projects.js'
import accessKeys from './access-keys.js'
import tokens from './tokens.js'
import targets from './targets.js'
import devices from './devices.js'
import gateways from './gateways.js'

export interface AdminOptions { adminToken: string }

/** The operator API: `Authorization: Bearer <admin token>`, compared in constant time. */
const admin: FastifyPluginAsyncTypebox<AdminOptions> = async (app, { adminToken }) => {
  useErrorDialect(app, renderAdminError)
  app.addHook('onRequest', async (req) => {
    const header = req.headers.authorization ?? ''
    const presented = header.startsWith('Bearer ') ? header.slice(7) : ''
    if (!safeEqual(presented, adminToken)) throw unauthenticated('unauthenticated', 'missing or wrong admin token (Authorization: Bearer …)')
  })
  await app.register(projects)
  await app.register(accessKeys)
  await app.register(tokens)
  await app.register(targets)
  await app.register(devices)
  await app.register(gateways)
}
export default admin
