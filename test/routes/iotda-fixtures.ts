import type { TestApp } from '../helpers/app.js'

/** A project with a token, an access key and one device with both secrets. */
export interface IotdaProject {
  projectId: string
  token: string
  tokenId: string
  ak: string
  sk: string
  deviceId: string
  primary: string
  secondary: string
}

export const RESET_QUERY = '?action_id=resetSecret'

let counter = 0

async function created (app: TestApp, url: string, body?: unknown): Promise<any> {
  const res = await app.admin('POST', url, body)
  if (res.status !== 201) throw new Error(`POST ${url}: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body
}

export async function iotdaProject (app: TestApp, options: { instanceId?: string, deviceId?: string } = {}): Promise<IotdaProject> {
  counter++
  const project = await created(app, '/projects', { name: `iot-${counter}`, ...(options.instanceId === undefined ? {} : { instance_id: options.instanceId }) })
  const projectId: string = project.project_id
  const token = await created(app, `/projects/${projectId}/tokens`, {})
  const key = await created(app, `/projects/${projectId}/access-keys`)
  const deviceId = options.deviceId ?? `dev_${process.pid}-${counter}`
  const primary = `primary_${counter}_secret`
  const secondary = `secondary-${counter}-secret`
  await created(app, `/projects/${projectId}/devices`, { device_id: deviceId, secret: primary, secondary_secret: secondary })
  return { projectId, token: token.token, tokenId: token.token_id, ak: key.access_key_id, sk: key.secret_access_key, deviceId, primary, secondary }
}

export const resetUrl = (projectId: string, deviceId: string, query = RESET_QUERY): string =>
  `/v5/iot/${projectId}/devices/${deviceId}/action${query}`

export interface ResetCall {
  token?: string | undefined
  body?: unknown
  /** Raw payload (overrides body). */
  payload?: string
  contentType?: string
  headers?: Record<string, string>
  query?: string
  method?: string
}

/** ResetDeviceSecret through inject, as an X-Auth-Token caller. */
export async function reset (app: TestApp, projectId: string, deviceId: string, call: ResetCall = {}): Promise<{ status: number, body: any, headers: Record<string, unknown> }> {
  const payload = call.payload ?? (call.body === undefined ? undefined : JSON.stringify(call.body))
  const res = await app.app.inject({
    method: (call.method ?? 'POST') as 'POST',
    url: resetUrl(projectId, deviceId, call.query),
    headers: {
      ...(call.token === undefined ? {} : { 'x-auth-token': call.token }),
      ...(payload === undefined ? {} : { 'content-type': call.contentType ?? 'application/json' }),
      ...call.headers
    },
    ...(payload === undefined ? {} : { payload })
  })
  return { status: res.statusCode, body: res.body === '' ? undefined : res.json(), headers: res.headers }
}
