import t from 'tap'
import { WindowCounters } from '../src/limits/window-counters.js'

/** The rate limits' own counters: counts per key within a window, a fresh window after it, bounded keys. */

t.test('counts per key, and start again when the window ends', async (t) => {
  let now = 1_000_000
  const counters = new WindowCounters(60_000, 100, () => now)
  t.equal(counters.hit('a'), 1)
  t.equal(counters.hit('a'), 2)
  t.equal(counters.hit('b'), 1, 'each key its own count')
  now += 59_999
  t.equal(counters.hit('a'), 3, 'still the same window')
  t.equal(counters.secondsLeft(), 1)
  now += 1
  t.equal(counters.hit('a'), 1, 'a new window')
  t.equal(counters.secondsLeft(), 60)
})

t.test('at most maxKeys keys: a new key beyond them starts the next window', async (t) => {
  const now = 5_000
  const counters = new WindowCounters(60_000, 3, () => now)
  for (const key of ['a', 'b', 'c']) counters.hit(key)
  t.equal(counters.hit('a'), 2, 'a known key keeps counting at the bound')
  t.equal(counters.hit('d'), 1, 'a fourth key is counted')
  t.equal(counters.hit('a'), 1, 'in a fresh window')
})
