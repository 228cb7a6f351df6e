// The admin API, from the browser. The admin token lives in sessionStorage
// only (gone when the tab closes) and travels in the Authorization header,
// never in a URL.
const KEY = 'stsgate.adminToken'

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY)
}

export class ApiError extends Error {
  constructor (status, code, message) {
    super(`${code}: ${message}`)
    this.status = status
    this.code = code
  }
}

/** One admin API call; resolves to the parsed JSON (undefined for 204). */
export async function api (method, path, body, tokenValue = token.get()) {
  const res = await fetch(`../admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${tokenValue}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store'
  })
  const text = await res.text()
  const data = text === '' ? undefined : JSON.parse(text)
  if (!res.ok) throw new ApiError(res.status, data?.error ?? `http_${res.status}`, data?.message ?? res.statusText)
  return data
}
