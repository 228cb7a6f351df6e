import { Type } from '@sinclair/typebox'
import { Timestamp } from './common.js'

/** GET /admin/v1/series: the operator console's charts, from this instance's in-memory ring buffers. */

const Count = Type.Integer({ minimum: 0 })

const SeriesPoint = Type.Object({
  at: Timestamp,
  partial: Type.Boolean({ description: 'true for the last point: the interval still open' }),
  vends: Count,
  vends_per_minute: Type.Number({ minimum: 0 }),
  cache_hit_ratio: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], { description: 'Hits / vends in the interval; null without vends' }),
  upstream: Type.Record(Type.String(), Type.Object({ calls: Count, failures: Count }), { description: 'Per provider: local, aliyun, aws, huawei' }),
  mqtt_sessions: Type.Union([Count, Type.Null()], { description: 'Live sessions on the embedded broker; null otherwise' })
}, { title: 'SeriesPoint' })

export const Series = Type.Object({
  instance: Type.String({ description: 'The instance that answered: the series are per instance' }),
  interval_seconds: Type.Integer(),
  points: Type.Array(SeriesPoint, { description: 'Oldest first: up to an hour of closed intervals, then the open one' })
}, { description: 'This instance\'s last hour, one point per interval' })
