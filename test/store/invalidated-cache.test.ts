import t from 'tap'
import { InvalidatedCache } from '../../src/store/invalidated-cache.js'

t.test('hits within the TTL, reloads after it; a miss is kept only briefly', async (t) => {
  let clock = 0
  let loads = 0
  const cache = new InvalidatedCache<string>({ ttlMs: 1000, missTtlMs: 100, now: () => clock })
  const load = (value: string | undefined) => async () => { loads++; return value }
  t.equal(await cache.get('a', load('A')), 'A')
  clock = 999
  t.equal(await cache.get('a', load('changed')), 'A', 'served from the cache within the TTL')
  clock = 1000
  t.equal(await cache.get('a', load('A2')), 'A2', 'reloaded after the TTL')
  t.equal(await cache.get('none', load(undefined)), undefined)
  clock = 1099
  t.equal(await cache.get('none', load('late')), undefined, 'a miss is cached for missTtlMs')
  clock = 1100
  t.equal(await cache.get('none', load('created')), 'created')
  t.equal(loads, 4)
})

t.test('a lookup that raced an invalidation is returned but not cached', async (t) => {
  const cache = new InvalidatedCache<string>()
  let release!: (value: string) => void
  const inFlight = cache.get('key', () => new Promise((resolve) => { release = resolve }))
  cache.delete('key') // the change committed while the old row was being read
  release('stale')
  t.equal(await inFlight, 'stale')
  t.equal(await cache.get('key', async () => 'fresh'), 'fresh', 'the stale value was not kept')
})

t.test('deleteWhere drops what it picks, misses included; the size stays bounded', async (t) => {
  const cache = new InvalidatedCache<{ project: string }>({ maxEntries: 3 })
  await cache.get('k1', async () => ({ project: 'p1' }))
  await cache.get('k2', async () => ({ project: 'p2' }))
  await cache.get('k3', async () => undefined)
  cache.deleteWhere((value) => value === undefined || value.project === 'p1')
  t.same(await cache.get('k1', async () => ({ project: 'reloaded' })), { project: 'reloaded' })
  t.same(await cache.get('k2', async () => ({ project: 'not used' })), { project: 'p2' }, 'other entries stay')
  t.same(await cache.get('k3', async () => ({ project: 'now exists' })), { project: 'now exists' })
  await cache.get('k4', async () => ({ project: 'p4' }))
  // Insertion order now: k2, k1 (reloaded), k3 (reloaded) — k4 pushes out k2.
  t.same(await cache.get('k2', async () => ({ project: 'evicted, reloaded' })), { project: 'evicted, reloaded' }, 'the oldest entry made room')
  t.same(await cache.get('k4', async () => ({ project: 'not used' })), { project: 'p4' })
})
