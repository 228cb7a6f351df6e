import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { ErrorRenderer } from './dialects/install.js'
import { renderAdminError } from './admin/dialect.js'
import { renderPopError } from './dialects/pop.js'
import { renderWorkspaceError } from './workspace-errors.js'
import { renderIotdaError } from './iotda-errors.js'
import edas from './edas.js'
import workspace from './workspace.js'
import iotda from './iotda.js'

/**
 * The vendor contracts, each an encapsulated plugin under its own prefix with
 * its own error dialect. The prefix also picks the dialect for failures that
 * happen before routing (a malformed URL, an over-long path parameter).
 */
export interface Contract {
  prefix: string
  plugin: FastifyPluginAsync<any>
  renderError: ErrorRenderer
  /** Headers every answer under the prefix carries, beside X-Request-Id. */
  requestIdHeaders: readonly string[]
}

export const CONTRACTS: readonly Contract[] = [
  // Alibaba's gateway returns the request id in x-acs-request-id on every answer, errors included.
  { prefix: '/pop', plugin: edas, renderError: renderPopError, requestIdHeaders: ['x-acs-request-id'] },
  { prefix: '/v1', plugin: workspace, renderError: renderWorkspaceError, requestIdHeaders: [] },
  { prefix: '/v5', plugin: iotda, renderError: renderIotdaError, requestIdHeaders: [] }
]

/** The contract whose prefix a URL is under; undefined for the admin API and everything else. */
export function contractFor (url: string): Contract | undefined {
  return CONTRACTS.find((c) => url === c.prefix || url.startsWith(`${c.prefix}/`))
}

export const renderErrorFor = (url: string): ErrorRenderer => contractFor(url)?.renderError ?? renderAdminError

/** Every answer carries the request id, in X-Request-Id and in the contract's own header where it has one. */
export function setRequestIdHeaders (req: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', req.id)
  for (const header of contractFor(req.url)?.requestIdHeaders ?? []) reply.header(header, req.id)
}
