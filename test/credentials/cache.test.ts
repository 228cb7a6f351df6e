import t from 'tap'
import fc from 'fast-check'
import { CredentialLru, type CachedCredential } from '../../src/credentials/cache.js'

const credential = (id: string): CachedCredential => ({
  accessKeyId: id, secret: 's', securityToken: 't', expiresAt: new Date(0), policy: '{}'
})

t.test('a read entry gets a second chance: the oldest unread one is evicted instead', async (t) => {
  const lru = new CredentialLru(3, 3)
  for (const key of ['a', 'b', 'c']) lru.set(key, 'p', credential(key))
  t.equal(lru.get('a')?.accessKeyId, 'a')
  lru.set('d', 'p', credential('d'))
  t.ok(lru.get('a'), 'read since it was stored: kept')
  t.equal(lru.get('b'), undefined, 'the oldest unread entry went')
  t.equal(lru.size, 3)
})

t.test('when every entry was read, the walk clears the bits and evicts the oldest', async (t) => {
  const lru = new CredentialLru(3, 3)
  for (const key of ['a', 'b', 'c']) lru.set(key, 'p', credential(key))
  for (const key of ['a', 'b', 'c']) lru.get(key)
  lru.set('d', 'p', credential('d'))
  t.equal(lru.get('a'), undefined)
  t.ok(lru.get('b') && lru.get('c') && lru.get('d'))
})

t.test('the per-project share evicts within the project, with the same second chance', async (t) => {
  const lru = new CredentialLru(10, 2)
  lru.set('other', 'q', credential('other'))
  lru.set('a', 'p', credential('a'))
  lru.set('b', 'p', credential('b'))
  lru.get('a')
  lru.set('c', 'p', credential('c'))
  t.ok(lru.get('other'), 'another project is untouched')
  t.ok(lru.get('a'), 'read: kept')
  t.equal(lru.get('b'), undefined, "the project's oldest unread entry went")
})

t.test("a share of one: replacing a project's only entry keeps the project's accounting", async (t) => {
  // Evicting a project's last entry drops its set; the new entry must land in a live one
  // (it once went into the dropped set, and the next global eviction threw).
  const lru = new CredentialLru(1, 1)
  lru.set('a', 'p', credential('a'))
  lru.set('b', 'p', credential('b'))
  t.equal(lru.get('a'), undefined)
  lru.set('c', 'q', credential('c'))
  t.equal(lru.get('b'), undefined, "evicted through the project's live set")
  t.ok(lru.get('c'))
  t.equal(lru.size, 1)
})

t.test('any sequence of reads, writes and deletes stays within both bounds and keeps what it last wrote', async () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 30 }), project: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 30 }) }),
    fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 30 }) })
  )
  fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), fc.array(op, { maxLength: 200 }), (max, share, ops) => {
    const lru = new CredentialLru(max, share)
    const projectOf = new Map<string, string>()
    for (const o of ops) {
      const key = `k${o.key}`
      if (o.kind === 'set') {
        lru.set(key, `p${o.project}`, credential(key))
        projectOf.set(key, `p${o.project}`)
        if (lru.get(key)?.accessKeyId !== key) return false
      } else if (o.kind === 'get') {
        const hit = lru.get(key)
        if (hit !== undefined && hit.accessKeyId !== key) return false
      } else {
        lru.delete(key)
        if (lru.get(key) !== undefined) return false
      }
      if (lru.size > max) return false
      const perProject = new Map<string, number>()
      for (const [k, p] of projectOf) if (lru.get(k) !== undefined) perProject.set(p, (perProject.get(p) ?? 0) + 1)
      if ([...perProject.values()].some((n) => n > share)) return false
    }
    return true
  }), { numRuns: 300 })
})
