import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { verifyAliyunRequest } from '../src/auth/aliyun.js'
import type { Caller, CallerDirectory } from '../src/auth/callers.js'
import { isHuaweiSigned, verifyHuaweiRequest } from '../src/auth/huawei.js'
import type { ReplayGuard } from '../src/auth/replay.js'
import { DomainError, forbidden, unauthenticated } from '../src/errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    authenticate: {
      /** Huawei-style routes (Workspace, IoTDA): X-Auth-Token, or an APIG AK/SK signature (plain or derived). */
      huawei: (req: FastifyRequest) => Promise<void>
      /** Alibaba-style routes (EDAS): ROA (`acs AK:sig`) or V3 (`ACS3-HMAC-SHA256`) signatures. */
      aliyun: (req: FastifyRequest) => Promise<void>
    }
  }
  interface FastifyRequest {
    /** Set by an authenticate hook: the project the request acts for (read it with `callerOf`). */
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

export const AUTHENTICATION_PLUGIN = 'stsgate-authentication'

export interface AuthenticationOptions {
  callers: CallerDirectory
  replay: ReplayGuard
  /** Told of every authenticated caller (the last-used log); must not throw or wait. */
  onAuthenticated?: (caller: Caller) => void
}

/**
 * One hook per signature family, shared by every route of that family. Every
 * contract runs it at the same stage, `preValidation` (before the schema: a
 * stranger learns nothing about the input rules), followed by
 * `app.limitCaller`.
 */
export const authentication = fp(async (app: FastifyInstance, { callers, replay, onAuthenticated }: AuthenticationOptions): Promise<void> => {
  const lookupKey = (id: string) => callers.lookupAccessKey(id)
  app.decorateRequest('caller', null)
  app.decorate('authenticate', {
    async huawei (req) {
      const token = req.headers['x-auth-token']
      if (typeof token === 'string' && token.length > 0) {
        req.caller = await callers.verifyToken(token)
        onAuthenticated?.(req.caller)
        return
      }
      if (!isHuaweiSigned(req.headers)) {
        throw unauthenticated('credentials_missing', 'send an X-Auth-Token header or an AK/SK signature (Authorization: SDK-HMAC-SHA256 …)')
      }
      const verified = await verifyHuaweiRequest(signedRequest(req), { lookupKey, replay })
      req.caller = { projectId: verified.key.projectId, principal: `ak:${verified.accessKeyId}` }
      onAuthenticated?.(req.caller)
    },
    async aliyun (req) {
      const verified = await verifyAliyunRequest(signedRequest(req), { lookupKey, replay })
      req.caller = { projectId: verified.key.projectId, principal: `ak:${verified.accessKeyId}` }
      onAuthenticated?.(req.caller)
    }
  })
}, { name: AUTHENTICATION_PLUGIN })

/**
 * The authenticated caller. The authentication hook runs before every handler
 * that asks; reaching one without a caller is our bug, not the caller's.
 */
export function callerOf (req: FastifyRequest): Caller {
  if (req.caller === null) throw new DomainError('internal', 'the request reached the handler unauthenticated')
  return req.caller
}

/**
 * Huawei-style routes name their project in the path. Callers are
 * project-scoped: naming any other project — existing or not — is 403, so a
 * caller cannot probe which project ids exist.
 */
export async function requireOwnProject (req: FastifyRequest): Promise<void> {
  const { project_id: projectId } = req.params as { project_id: string }
  if (req.caller === null || req.caller.projectId !== projectId) {
    throw forbidden('project_mismatch')
  }
}
