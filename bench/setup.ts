import { randomBytes } from 'node:crypto'

/**
 * The bench deployment, made through the admin API of a running stsgate: one
 * project per scenario (a project has one binding per contract, and two
 * projects may not share a prefix on a bucket, so each gets its own bucket).
 */

export const UPSTREAM_ALIYUN = { accessKeyId: 'LTAIbenchUpstreamKey', accessKeySecret: 'bench-aliyun-upstream-secret' }
export const UPSTREAM_HUAWEI = { accessKeyId: 'HWBENCHUPSTREAMAK001', secretAccessKey: 'benchUpstreamSecret0123456789abcdefghij' }

export interface BenchProject {
  projectId: string
  accessKeyId: string
  secret: string
  token: string
}

export interface Admin {
  (method: string, path: string, body?: unknown): Promise<any>
}

export function adminClient (baseUrl: string, adminToken: string): Admin {
  return async (method, path, body) => {
    const res = await fetch(`${baseUrl}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    const text = await res.text()
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`)
    return text === '' ? undefined : JSON.parse(text)
  }
}

export type TargetKind = { provider: 'local' } | { provider: 'aliyun', stsUrl: string } | { provider: 'huawei', iamUrl: string }

let buckets = 0

function targetBody (kind: TargetKind): object {
  const bucket = `bench-${++buckets}-${randomBytes(3).toString('hex')}`
  switch (kind.provider) {
    case 'local':
      return { name: bucket, provider: 'local', bucket, region: 'cn-beijing', endpoint: 'https://oss-cn-beijing.aliyuncs.com' }
    case 'aliyun':
      return {
        name: bucket, provider: 'aliyun', bucket, region: 'cn-beijing', endpoint: 'https://oss-cn-beijing.aliyuncs.com',
        upstream: { role_arn: 'acs:ram::1234567890:role/bench', access_key_id: UPSTREAM_ALIYUN.accessKeyId, access_key_secret: UPSTREAM_ALIYUN.accessKeySecret, sts_endpoint: kind.stsUrl }
      }
    case 'huawei':
      return {
        name: bucket, provider: 'huawei', bucket, region: 'cn-north-4', endpoint: 'obs.cn-north-4.myhuaweicloud.com',
        upstream: { agency_name: 'bench-agency', domain_name: 'bench-domain', access_key_id: UPSTREAM_HUAWEI.accessKeyId, secret_access_key: UPSTREAM_HUAWEI.secretAccessKey, iam_endpoint: kind.iamUrl }
      }
  }
}

/** A project with an access key and a token; optionally a target bound for EDAS or Workspace. */
export async function createProject (admin: Admin, name: string, bind?: { contract: 'edas' | 'workspace', target: TargetKind }): Promise<BenchProject & { targetId?: string }> {
  const { project_id: projectId } = await admin('POST', '/projects', { name: `${name}-${randomBytes(3).toString('hex')}` })
  const key = await admin('POST', `/projects/${projectId}/access-keys`)
  const token = await admin('POST', `/projects/${projectId}/tokens`, { ttl_seconds: 86_400 })
  const project = { projectId, accessKeyId: key.access_key_id, secret: key.secret_access_key, token: token.token }
  if (bind === undefined) return project
  const { target_id: targetId } = await admin('POST', `/projects/${projectId}/targets`, targetBody(bind.target))
  await admin('PUT', `/projects/${projectId}/bindings`, { [bind.contract]: { target_id: targetId } })
  return { ...project, targetId }
}

/** A local target in the project (for gateways). */
export async function createTarget (admin: Admin, projectId: string, kind: TargetKind): Promise<string> {
  return (await admin('POST', `/projects/${projectId}/targets`, targetBody(kind))).target_id
}
