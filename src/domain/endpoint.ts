/**
 * A target's endpoint as Workspace clients and DJI docks expect it: an
 * https:// URL. An explicit scheme is kept (an operator may choose http:// for
 * a private S3-compatible store); trailing slashes are dropped.
 */
export function endpointUrl (endpoint: string): string {
  const url = /^https?:\/\//i.test(endpoint) ? endpoint : `https://${endpoint}`
  return url.replace(/\/+$/, '')
}
