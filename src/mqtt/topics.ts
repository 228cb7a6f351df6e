/**
 * Topic names and filters: the pieces every ACL and transport shares.
 *
 * MQTT 3.1.1 §4.7: levels are separated by `/`, `+` matches one level, `#`
 * (last level only) matches the parent and any number of children, and a
 * filter starting with a wildcard never matches a topic starting with `$`
 * [MQTT-4.7.2-1].
 */

/**
 * An identity (device id, serial number) that may be embedded in an ACL
 * prefix: non-empty, no level separator, no wildcard, no `$`, no control
 * characters. Anything else could widen a prefix check (docs/security.md rule 1),
 * so it never grants access.
 */
export function isSafeTopicLevel (level: string): boolean {
  // eslint-disable-next-line no-control-regex
  return level.length > 0 && !/[/+#$\u0000-\u001f\u007f]/.test(level)
}

/**
 * True when `topic` (a topic name or filter) lies under `prefix`, which must
 * end in `/`. Wildcards in the part after the prefix are fine: they cannot
 * climb out of it, since MQTT has no `..`.
 */
export const isUnder = (topic: string, prefix: string): boolean =>
  topic.length > prefix.length && topic.startsWith(prefix)

const SHARE = /^\$share\/[^/+#]+\/(.+)$/

/** `$share/{group}/{filter}` → `{filter}`; any other filter as is. */
export function withoutShareGroup (filter: string): string {
  const m = SHARE.exec(filter)
  return m?.[1] ?? filter
}

/** Does a topic filter (not shared) match a topic name? MQTT 3.1.1 §4.7. */
export function topicMatches (filter: string, topic: string): boolean {
  const f = filter.split('/')
  const t = topic.split('/')
  if ((f[0] === '+' || f[0] === '#') && topic.startsWith('$')) return false
  for (let i = 0; i < f.length; i++) {
    const level = f[i]
    if (level === '#') return true
    if (i >= t.length) return false
    if (level !== '+' && level !== t[i]) return false
  }
  return f.length === t.length
}
