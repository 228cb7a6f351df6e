import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AuthorizeBody, AuthorizeParams, AuthorizeReply, type AuthorizeReplyType } from '../schemas/workspace.js'
import type { VendedCredential } from '../src/credentials/service.js'
import { CONTROL_OR_BROKEN, describePolicy } from '../src/credentials/policy.js'
import { endpointUrl } from '../src/domain/endpoint.js'
import { scopeFor, type Scope, type StorageAction } from '../src/domain/scope.js'
import { invalid, notFound } from '../src/errors.js'
import { noteForLog } from './request-log.js'
import { callerOf, requireOwnProject } from './authenticate.js'
import { contractPlugin } from './contract-plugin.js'
import { huaweiErrorResponses } from './dialects/huawei.js'
import { refuseOtherMethods, useErrorDialect } from './dialects/install.js'
import { renderWorkspaceError, WORKSPACE_ERROR_STATUSES, WORKSPACE_ERRORS } from './workspace-errors.js'

/**
 * Huawei Workspace app-warehouse authorize (docs/workspace.md).
 * Registered under the `/v1` prefix: unknown paths and methods there answer in
 * this contract's dialect.
 */
const AUTHORIZE = '/:project_id/app-warehouse/action/authorize'
/** One installer: upload it, or delete it to replace it (vendor page). */
const INSTALLER_ACTIONS: readonly StorageAction[] = ['put', 'delete']
const MAX_NAME_BYTES = 255
const FORBIDDEN_CHARS = /[/\\*?${}]/u

/** The name becomes an object key and a policy resource: nothing in it may widen the grant (docs/security.md rule 1). */
export function checkAppFileName (name: string): void {
  const reject = (why: string): never => { throw invalid('invalid_object_name', `app_file_name ${why}`) }
  if (name.length === 0) reject('is empty')
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) reject(`is longer than ${MAX_NAME_BYTES} UTF-8 bytes`)
  if (FORBIDDEN_CHARS.test(name)) reject('contains one of / \\ * ? $ { }')
  if (CONTROL_OR_BROKEN.test(name)) reject('contains a control character')
  if (name === '.' || name === '..') reject('is . or ..')
}

/** Huawei IAM's own form: UTC with six fractional digits. */
export const huaweiExpiry = (at: Date): string => at.toISOString().replace(/Z$/, '000Z')

function toAuthorizeReply (scope: Scope, directory: string, credential: VendedCredential): AuthorizeReplyType {
  return {
    server_end_point: endpointUrl(scope.target.endpoint),
    bucket_name: scope.target.bucket,
    directory,
    ak: credential.accessKeyId,
    sk: credential.secret,
    security_token: credential.securityToken,
    policy: describePolicy(scope),
    expires_at: huaweiExpiry(credential.expiresAt)
  }
}


const workspace: FastifyPluginAsyncTypebox = async (app) => {
  useErrorDialect(app, renderWorkspaceError)
  refuseOtherMethods(app, AUTHORIZE, ['POST'])

  app.post(AUTHORIZE, {
    schema: {
      tags: ['workspace'],
      summary: 'Obtain a temporary AK/SK to upload one installer to the app warehouse bucket',
      description: 'Authenticate with an X-Auth-Token issued for the project, or a Huawei API Gateway AK/SK signature ' +
        '(SDK-HMAC-SHA256 or derived V11-HMAC-SHA256, X-Sdk-Date within 15 minutes, each signature once). ' +
        'The credential allows obs:object:putObject and obs:object:deleteObject on exactly {directory}{app_file_name}. ' +
        'Errors are {error_code, error_msg}; the request id is in the X-Request-Id header.',
      security: [{ authToken: [] }],
      params: AuthorizeParams,
      body: AuthorizeBody,
      response: { 200: AuthorizeReply, ...huaweiErrorResponses(WORKSPACE_ERRORS, WORKSPACE_ERROR_STATUSES) }
    },
    // Authentication before schema validation: a stranger learns nothing about the body rules.
    // (It needs the raw body, which the JSON parser has kept by then.)
    preValidation: [app.authenticate.huawei, app.limitCaller, requireOwnProject]
  }, async (req) => {
    const name = req.body.app_file_name
    checkAppFileName(name)
    const projectId = req.params.project_id
    const binding = await app.bindings.resolve(projectId, 'workspace')
    if (binding === undefined) throw notFound('workspace_not_bound')
    const directory = `${binding.prefix}${name}`
    const scope = scopeFor(binding, { projectId, actions: INSTALLER_ACTIONS, object: name })
    const credential = await app.vending.vend(scope, { principal: callerOf(req).principal, contract: 'workspace' })
    noteForLog(req, 'workspace credential vended', { project: projectId, target_id: binding.target.id, from_cache: credential.fromCache })
    return toAuthorizeReply(scope, directory, credential)
  })
}
export default contractPlugin('workspace', workspace, ['bindings', 'vending'])
