import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { useErrorDialect } from '../dialects/install.js'
import { renderAdminError } from './dialect.js'
import projects from './projects.js'
import accessKeys from './access-keys.js'
import tokens from './tokens.js'
import targets from './targets.js'
import devices from './devices.js'
import gateways from './gateways.js'
import credentials from './credentials.js'
import status from './status.js'
import audit from './audit.js'
import series from './series.js'
import { requireAdminToken } from './token.js'

export interface AdminOptions { adminToken: string }

/** The operator API: `Authorization: Bearer <admin token>`, compared in constant time. */
const admin: FastifyPluginAsyncTypebox<AdminOptions> = async (app, { adminToken }) => {
  useErrorDialect(app, renderAdminError)
  app.addHook('onRequest', requireAdminToken(adminToken))
  await app.register(projects)
  await app.register(accessKeys)
  await app.register(tokens)
  await app.register(targets)
  await app.register(devices)
  await app.register(gateways)
  await app.register(credentials)
  await app.register(status)
  await app.register(audit)
  await app.register(series)
}
export default admin
