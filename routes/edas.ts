import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { PackageStorageCredentialReply } from '../schemas/edas.js'
import type { ResolvedBinding } from '../src/credentials/bindings.js'
import { scopeFor, type StorageAction } from '../src/domain/scope.js'
import type { VendedCredential } from '../src/credentials/service.js'
import { notFound } from '../src/errors.js'
import { noteForLog } from './request-log.js'
import { callerOf } from './authenticate.js'
import { contractPlugin } from './contract-plugin.js'
import { refuseOtherMethods, useErrorDialect } from './dialects/install.js'
import { popErrorResponses, renderPopError } from './dialects/pop.js'

/**
 * Alibaba EDAS GetPackageStorageCredential (docs/edas.md):
 * `GET /pop/v5/package_storage_credential`, ROA or ACS3 signed; the access key
 * names the project, the project's EDAS binding names bucket and key prefix.
 * Registered under the `/pop` prefix, so every unknown path and method below
 * it answers in the POP dialect too.
 */
export const PACKAGE_STORAGE_PATH = '/v5/package_storage_credential'

/** Every status the route answers with; the descriptions come from the POP table (routes/dialects/pop.ts). */
const EDAS_ERROR_STATUSES = [400, 403, 404, 405, 429, 500, 503] as const

/** Package upload and download (vendor page: "temporary storage" for release packages), multipart included. */
const PACKAGE_ACTIONS: readonly StorageAction[] = ['put', 'get', 'multipart']

/** Targets hold a host or an https:// URL; EDAS shows bare hosts (vendor example). */
export const bareHost = (endpoint: string): string => endpoint.replace(/^https?:\/\//i, '').replace(/\/+$/, '')

// Alibaba's OSS naming: oss-<region>.aliyuncs.com has the internal twin oss-<region>-internal.aliyuncs.com.
const OSS_PUBLIC = /^oss-([a-z0-9-]+)\.aliyuncs\.com$/

export function ossEndpoints (target: ResolvedBinding['target']): { public: string, internal: string, vpc: string } {
  const publicHost = bareHost(target.endpoint)
  const derived = OSS_PUBLIC.exec(publicHost)
  const internal = target.internalEndpoint !== null
    ? bareHost(target.internalEndpoint)
    : derived !== null && !publicHost.includes('-internal.') ? `oss-${derived[1]}-internal.aliyuncs.com` : publicHost
  // The vendor example shows the VPC endpoint equal to the internal one.
  const vpc = target.vpcEndpoint !== null ? bareHost(target.vpcEndpoint) : internal
  return { public: publicHost, internal, vpc }
}

/** `2019-11-10T07:20:19Z`: UTC, whole seconds (truncated, so never later than the real expiry). */
export const popTimestamp = (at: Date): string => at.toISOString().replace(/\.\d{3}Z$/, 'Z')

export function toPackageStorageReply (req: FastifyRequest, binding: ResolvedBinding, credential: VendedCredential): PackageStorageCredentialReply {
  const endpoints = ossEndpoints(binding.target)
  return {
    Code: 200,
    Message: 'success',
    RequestId: req.id,
    Credential: {
      KeyPrefix: binding.prefix,
      SecurityToken: credential.securityToken,
      AccessKeySecret: credential.secret,
      Expiration: popTimestamp(credential.expiresAt),
      AccessKeyId: credential.accessKeyId,
      Bucket: binding.target.bucket,
      RegionId: binding.target.region,
      OssPublicEndpoint: endpoints.public,
      OssInternalEndpoint: endpoints.internal,
      OssVpcEndpoint: endpoints.vpc
    }
  }
}

const edas: FastifyPluginAsyncTypebox = async (app) => {
  // Alibaba's gateway returns the request id in x-acs-request-id on every answer, errors included.
  useErrorDialect(app, renderPopError, { requestIdHeaders: ['x-acs-request-id'] })
  // Only GET is served here, and a GET body is never parsed: accept (and ignore) any
  // body so that every other method gets the POP 405, whatever its content type.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, _body, done) => { done(null, undefined) })
  refuseOtherMethods(app, PACKAGE_STORAGE_PATH, ['GET'])

  app.get(PACKAGE_STORAGE_PATH, {
    exposeHeadRoute: false,
    schema: {
      tags: ['edas'],
      operationId: 'GetPackageStorageCredential',
      summary: 'Temporary OSS credential for release packages (Alibaba EDAS)',
      description: 'Signed like any Alibaba POP ROA call: `Authorization: acs <AccessKeyId>:<HMAC-SHA1>` ' +
        '(@alicloud/pop-core ROAClient, apiVersion 2017-08-01) or `ACS3-HMAC-SHA256` (@alicloud/openapi-client). ' +
        'The access key selects the project; the credential allows oss:PutObject, oss:GetObject, ' +
        'oss:AbortMultipartUpload and oss:ListParts on `acs:oss:*:*:<Bucket>/<KeyPrefix>*` only. ' +
        'Every answer carries `x-acs-request-id`; errors are POP JSON `{RequestId, HostId, Code, Message}`.',
      response: { 200: PackageStorageCredentialReply, ...popErrorResponses(EDAS_ERROR_STATUSES) }
    },
    preValidation: [app.authenticate.aliyun, app.limitCaller]
  }, async (req) => await vendPackageCredential(app, req))
}

/** The authenticated caller's project → its EDAS binding → a credential in the EDAS shape. */
export async function vendPackageCredential (app: FastifyInstance, req: FastifyRequest): Promise<PackageStorageCredentialReply> {
  const caller = callerOf(req)
  const binding = await app.bindings.resolve(caller.projectId, 'edas')
  if (binding === undefined) throw notFound('package_storage_not_configured')
  const scope = scopeFor(binding, { projectId: caller.projectId, actions: PACKAGE_ACTIONS })
  const credential = await app.vending.vend(scope, { principal: caller.principal, contract: 'edas' })
  noteForLog(req, 'package credential vended', { project: caller.projectId, target_id: binding.target.id, from_cache: credential.fromCache, expires_at: credential.expiresAt })
  return toPackageStorageReply(req, binding, credential)
}
export default contractPlugin('edas', edas, ['bindings', 'vending'])
