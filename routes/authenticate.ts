import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { verifyAliyunRequest } from '../src/auth/aliyun.js'
import type { Caller, CallerDirectory } from '../src/auth/callers.js'
import { isHuaweiSigned, verifyHuaweiRequest } from '../src/auth/huawei.js'
import type { ReplayGuard } from '../src/auth/replay.js'
import { forbidden, unauthenticated } from '../src/errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    authenticate: {
      /** Huawei-style routes (Workspace, IoTDA): X-Auth-Token, or an APIG AK/SK signature (plain or derived). */
      huawei: (req: FastifyRequest, reply: FastifyReply) => Promise<void>
      /** Alibaba-style routes (EDAS): ROA (`acs AK:sig`) or V3 (`ACS3-HMAC-SHA256`) signatures. */
      aliyun: (req: FastifyRequest, reply: FastifyReply) => Promise<void>
    }
  }
  interface FastifyRequest {
    /** Set by an authenticate preHandler: the project the request acts for. */
    caller: Caller | null
  }
}

const EMPTY = Buffer.alloc(0)

const signedRequest = (req: FastifyRequest) => ({
  method: req.method,
  // The exact path and query as sent: what the client signed.
  url: req.raw.url ?? req.url,
  headers: req.headers,
  body: req.rawBody ?? EMPTY
})

/** One preHandler per signature family, shared by every route of that family. */
export function installAuthentication (app: FastifyInstance, deps: {
  callers: CallerDirectory
  replay: ReplayGuard
  /** Runs once the caller is known (per-principal and per-project rate limits). */
  afterAuthentication?: (req: FastifyRequest, reply: FastifyReply) => Promise<void>
}): void {
  const { callers, replay } = deps
  const after = deps.afterAuthentication ?? (async () => {})
  const lookupKey = (id: string) => callers.lookupAccessKey(id)
  app.decorateRequest('caller', null)
  app.decorate('authenticate', {
    async huawei (req, reply) {
      const token = req.headers['x-auth-token']
      if (typeof token === 'string' && token.length > 0) {
        req.caller = await callers.verifyToken(token)
        return await after(req, reply)
      }
      if (!isHuaweiSigned(req.headers)) {
        throw unauthenticated('credentials_missing', 'send an X-Auth-Token header or an AK/SK signature (Authorization: SDK-HMAC-SHA256 …)')
      }
      const verified = await verifyHuaweiRequest(signedRequest(req), { lookupKey, replay })
      req.caller = { projectId: verified.key.projectId, principal: `ak:${verified.accessKeyId}` }
      await after(req, reply)
    },
    async aliyun (req, reply) {
      const verified = await verifyAliyunRequest(signedRequest(req), { lookupKey, replay })
      req.caller = { projectId: verified.key.projectId, principal: `ak:${verified.accessKeyId}` }
      await after(req, reply)
    }
  })
}

/**
 * Huawei-style routes name their project in the path. Callers are
 * project-scoped: naming any other project — existing or not — is 403, so a
 * caller cannot probe which project ids exist.
 */
export async function requireOwnProject (req: FastifyRequest): Promise<void> {
  const { project_id: projectId } = req.params as { project_id: string }
  if (req.caller === null || req.caller.projectId !== projectId) {
    throw forbidden('project_mismatch', 'the credentials do not belong to the project in the path')
  }
}
