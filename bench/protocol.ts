/** IPC between bench/run.ts (parent) and bench/server.ts (the server under test). */

export interface MemorySample {
  type: 'memory'
  at: number
  rss: number
  heapUsed: number
  heapTotal: number
  external: number
  /** Set when the sample answers a 'gc' request. */
  id?: number
}

export type ChildMessage =
  | { type: 'ready', url: string, pid: number }
  | MemorySample
  | { type: 'counters', id: number, counters: unknown }

export type ParentMessage =
  | { type: 'counters', id: number }
  | { type: 'gc', id: number }
  | { type: 'stop' }
