import t from 'tap'
import { GatewayVendDirectory, type GatewayStore } from '../../src/mqtt/gateway-vend-directory.js'
import type { StoreChange } from '../../src/store/context.js'

function fakeStore (): GatewayStore & { lookups: number, disabled: boolean, emit: (change: StoreChange) => void, release?: () => void, hold: boolean } {
  const listeners: Array<(change: StoreChange) => void> = []
  const store = {
    lookups: 0,
    disabled: false,
    hold: false,
    release: undefined as (() => void) | undefined,
    emit: (change: StoreChange) => { for (const l of listeners) l(change) },
    onChange: (listener: (change: StoreChange) => void) => { listeners.push(listener) },
    gateways: {
      resolveForVend: async (sn: string) => {
        store.lookups++
        if (store.hold) await new Promise<void>((resolve) => { store.release = resolve })
        if (sn === 'UNKNOWN') return undefined
        return { gateway: { sn, projectId: 'p1' } as any, disabled: store.disabled, target: { id: 't1' } as any }
      }
    }
  }
  return store
}

t.test('repeated lookups of one dock cost one store query until the TTL passes', async (t) => {
  let now = 0
  const store = fakeStore()
  const directory = new GatewayVendDirectory(store, { now: () => now, ttlMs: 1000 })
  await directory.resolveForVend('DOCK1')
  await directory.resolveForVend('DOCK1')
  t.equal(store.lookups, 1)
  now = 1001
  await directory.resolveForVend('DOCK1')
  t.equal(store.lookups, 2)
})

t.test('a gateway change drops that dock at once: a disabled dock is seen disabled on its next request', async (t) => {
  const store = fakeStore()
  const directory = new GatewayVendDirectory(store)
  t.equal((await directory.resolveForVend('DOCK1'))?.disabled, false)
  store.disabled = true
  store.emit({ kind: 'gateway', id: 'DOCK2', projectId: 'p1' })
  t.equal((await directory.resolveForVend('DOCK1'))?.disabled, false, 'another dock\'s change keeps this entry')
  store.emit({ kind: 'gateway', id: 'DOCK1', projectId: 'p1' })
  t.equal((await directory.resolveForVend('DOCK1'))?.disabled, true)
})

t.test('a target or project change drops the project\'s docks and unknown sns; other kinds and projects keep them', async (t) => {
  const store = fakeStore()
  const directory = new GatewayVendDirectory(store)
  await directory.resolveForVend('DOCK1')
  t.equal(await directory.resolveForVend('UNKNOWN'), undefined)
  store.emit({ kind: 'target', id: 't9', projectId: 'p2' })
  store.emit({ kind: 'device', id: 'd1', projectId: 'p1' })
  await directory.resolveForVend('DOCK1')
  t.equal(store.lookups, 2, 'DOCK1 (p1) kept')
  await directory.resolveForVend('UNKNOWN')
  t.equal(store.lookups, 3, 'an unknown sn has no project: any target or project change drops it')
  store.emit({ kind: 'project', id: 'p1', projectId: 'p1' })
  await directory.resolveForVend('DOCK1')
  t.equal(store.lookups, 4)
})

t.test('a lookup that raced an invalidation is not cached', async (t) => {
  const store = fakeStore()
  const directory = new GatewayVendDirectory(store)
  store.hold = true
  const pending = directory.resolveForVend('DOCK1')
  await new Promise((resolve) => setImmediate(resolve))
  store.emit({ kind: 'gateway', id: 'DOCK1', projectId: 'p1' })
  store.hold = false
  store.release?.()
  await pending
  await directory.resolveForVend('DOCK1')
  t.equal(store.lookups, 2)
})

t.test('the directory is bounded: the oldest entry makes room', async (t) => {
  const store = fakeStore()
  const directory = new GatewayVendDirectory(store, { maxEntries: 2 })
  for (const sn of ['A', 'B', 'C']) await directory.resolveForVend(sn)
  await directory.resolveForVend('C')
  t.equal(store.lookups, 3)
  await directory.resolveForVend('A')
  t.equal(store.lookups, 4, 'A was evicted')
})
