import { Type } from '@sinclair/typebox'

/** GET /admin/v1/status: one instance's view of itself, for `stsgate status` and dashboards. */

const Upstream = Type.Object({
  last_success_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  last_failure_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  last_failure_code: Type.Union([Type.String(), Type.Null()], { description: 'The domain error code of the last failure, e.g. upstream_unavailable, upstream_denied' }),
  consecutive_failures: Type.Integer({ minimum: 0 })
})

export const Status = Type.Object({
  version: Type.String(),
  uptime_seconds: Type.Integer({ minimum: 0 }),
  store: Type.Object({
    kind: Type.String({ description: 'pglite (embedded) or postgres' }),
    ready: Type.Boolean({ description: 'The store answered a ping just now' })
  }),
  cache: Type.Object({
    entries: Type.Integer({ minimum: 0 }),
    hits: Type.Integer({ minimum: 0 }),
    misses: Type.Integer({ minimum: 0 })
  }),
  upstream: Type.Record(Type.String(), Upstream, {
    description: 'Per provider (local, aliyun, aws, huawei) this instance has called since it started; absent when never called'
  }),
  mqtt: Type.Object({
    mode: Type.Union([Type.Literal('embedded'), Type.Literal('external'), Type.Literal('off')]),
    connections: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'Live accepted connections on the embedded broker; null otherwise' })
  })
}, { title: 'Status', description: 'Counters are this instance\'s since it started' })
