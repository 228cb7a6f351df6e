import type { Redis } from 'ioredis'
import { unavailable } from '../errors.js'
import type { ReplayGuard } from './replay.js'

/**
 * The replay window shared by every instance on one Redis: a nonce (Alibaba)
 * or signature (Huawei) recorded on one instance is refused on all of them.
 * `SET key 1 PX ttl NX` records and tests in one atomic step, so two
 * instances racing on the same replay cannot both accept it.
 *
 * Fails closed: when Redis does not answer (within the client's command
 * timeout) the request is refused with a 503 `replay_store_unavailable`,
 * because accepting it could accept a replay (docs/security.md rule 2).
 */
export class RedisReplayGuard implements ReplayGuard {
  constructor (
    private readonly redis: Redis,
    private readonly prefix = 'stsgate:',
    private readonly now: () => number = Date.now
  ) {}

  async remember (key: string, expiresAtMs: number): Promise<boolean> {
    // A request already outside its window was refused before this point; keep it a millisecond anyway.
    const ttlMs = Math.max(1, Math.ceil(expiresAtMs - this.now()))
    let answer: string | null
    try {
      answer = await this.redis.set(`${this.prefix}replay:${key}`, '1', 'PX', ttlMs, 'NX')
    } catch (err) {
      throw unavailable('replay_store_unavailable', 'the replay window cannot be checked; retry shortly', err)
    }
    return answer === 'OK'
  }
}
