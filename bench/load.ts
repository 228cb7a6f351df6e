import autocannon from 'autocannon'

/** One HTTP scenario: what to send, request by request. */
export interface HttpScenario {
  name: string
  method: 'GET' | 'POST'
  path: string
  body?: string
  /** Headers for the next request (each call may sign a fresh one). */
  headers: () => Record<string, string>
  /** Made ready before each measurement (e.g. a pool of pre-signed headers for `expected` requests). */
  prepare?: (expected: number) => void
}

export interface LoadFigures {
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  requests: number
  non2xx: number
  errors: number
  durationSeconds: number
}

export interface LoadOptions {
  connections: number
  /** Seconds; ignored when `amount` is set. */
  duration: number
  amount?: number
  /** Requests per second over all connections (autocannon overallRate). */
  overallRate?: number
  /** How many requests `prepare` should get ready for. */
  expected: number
}

export async function load (baseUrl: string, scenario: HttpScenario, options: LoadOptions): Promise<LoadFigures> {
  scenario.prepare?.(options.expected)
  const body = scenario.body
  const result = await autocannon({
    url: baseUrl,
    connections: options.connections,
    pipelining: 1,
    duration: options.duration,
    ...(options.amount === undefined ? {} : { amount: options.amount }),
    ...(options.overallRate === undefined ? {} : { overallRate: options.overallRate }),
    timeout: 10,
    requests: [{
      method: scenario.method,
      path: scenario.path,
      ...(body === undefined ? {} : { body }),
      setupRequest: (request) => ({ ...request, headers: scenario.headers() })
    }]
  })
  const ok = result['2xx']
  return {
    requestsPerSecond: ok / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    durationSeconds: result.duration
  }
}
