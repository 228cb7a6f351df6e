/** Human output: aligned tables for listings, `key: value` lines for one object. */
export interface Output { write (text: string): unknown }

type Cell = string | number | boolean | null | undefined | string[]

const show = (v: Cell | object): string => {
  if (v === null || v === undefined) return '-'
  if (Array.isArray(v)) return v.length === 0 ? '-' : v.join(',')
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

export function printTable (out: Output, rows: Array<Record<string, unknown>>, columns: string[]): void {
  if (rows.length === 0) {
    out.write('(none)\n')
    return
  }
  const cells = rows.map((r) => columns.map((c) => show(r[c] as Cell)))
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)))
  const line = (values: string[]): string => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ')
  out.write(`${line(columns.map((c) => c.toUpperCase()))}\n`)
  for (const row of cells) out.write(`${line(row)}\n`)
}

export function printObject (out: Output, obj: Record<string, unknown>): void {
  const keys = Object.keys(obj)
  const width = Math.max(...keys.map((k) => k.length))
  for (const k of keys) out.write(`${`${k}:`.padEnd(width + 1)} ${show(obj[k] as Cell)}\n`)
}
