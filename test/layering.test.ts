import t from 'tap'
import { cruise } from 'dependency-cruiser'
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config'

/**
 * The layering (README, "Layout") as a test. dependency-cruiser resolves every
 * import of the shipped code, type-only ones included (a type-only arrow still
 * ties two folders together). A unit is a folder (`src/credentials`,
 * `routes/admin`; `routes` for the files directly in it) or a file directly in
 * `src/`. Two rules:
 * - a unit imports only units of its own layer or a lower one;
 * - no units import each other, directly or round a circle.
 * And one more from DESIGN.md: below the HTTP layer nothing imports Fastify.
 */
const LAYERS: ReadonlyArray<{ name: string, units: readonly string[] }> = [
  { name: 'entry points', units: ['src/cli.ts', 'src/cli', 'src/server.ts', 'src/openapi.ts'] },
  { name: 'wiring', units: ['src/app.ts'] },
  { name: 'HTTP contracts', units: ['routes', 'routes/admin', 'routes/dialects', 'src/limits', 'src/http-body.ts', 'src/openapi-components.ts'] },
  { name: 'services', units: ['src/mqtt', 'src/operations', 'src/credentials', 'src/devices', 'src/auth'] },
  { name: 'upstreams and store', units: ['src/providers', 'src/store', 'src/signing'] },
  { name: 'base', units: ['src/domain', 'schemas', 'src/errors.ts', 'src/config.ts', 'src/keys.ts', 'src/periodic-flush.ts', 'src/redis.ts', 'src/runtime-secrets.ts', 'src/version.ts'] }
]

/** Layers whose units never import Fastify (services take plain dependencies). */
const WITHOUT_FASTIFY = new Set(['services', 'upstreams and store'])

function unitOf (path: string): string {
  const parts = path.split('/')
  if (parts[0] === 'schemas') return 'schemas'
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts.length === 2 && parts[0] === 'routes' ? 'routes' : path
}

const layerOf = new Map(LAYERS.flatMap((layer, rank) => layer.units.map((unit) => [unit, { rank, name: layer.name }] as const)))

interface Import { from: string, to: string }

/** Every breach of the layering among the given module imports, in words. */
function layeringViolations (imports: readonly Import[]): string[] {
  const found: string[] = []
  const edges = new Map<string, Map<string, string>>()
  for (const { from, to } of imports) {
    if (to.startsWith('node_modules/')) {
      const pkg = to.split('/').slice(1, to.includes('/@') ? 3 : 2).join('/')
      const layer = layerOf.get(unitOf(from))
      if (layer !== undefined && WITHOUT_FASTIFY.has(layer.name) && /^(fastify|@fastify\/)/.test(pkg)) {
        found.push(`${from} imports ${pkg}: the ${layer.name} layer never imports Fastify`)
      }
      continue
    }
    const a = unitOf(from)
    const b = unitOf(to)
    if (a === b) continue
    const la = layerOf.get(a)
    const lb = layerOf.get(b)
    if (la === undefined) { found.push(`${a} is in no layer: place it in LAYERS (test/layering.test.ts) and the README`); continue }
    if (lb === undefined) { found.push(`${b} is in no layer: place it in LAYERS (test/layering.test.ts) and the README`); continue }
    if (lb.rank < la.rank) found.push(`${from} imports ${to}: ${la.name} (${a}) must not import ${lb.name} (${b})`)
    const out = edges.get(a) ?? new Map<string, string>()
    if (!out.has(b)) out.set(b, `${from} → ${to}`)
    edges.set(a, out)
  }
  for (const circle of circles(edges)) {
    const steps = circle.map((unit, i) => edges.get(unit)!.get(circle[(i + 1) % circle.length]!)!)
    found.push(`${circle.join(' → ')} → ${circle[0]} import each other: ${steps.join(', ')}`)
  }
  return found
}

/** Strongly connected components of more than one unit (Tarjan), each as one circle through its members. */
function circles (edges: Map<string, Map<string, string>>): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const components: string[][] = []
  const visit = (v: string): void => {
    index.set(v, index.size)
    low.set(v, index.get(v)!)
    stack.push(v)
    onStack.add(v)
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!))
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      if (component.length > 1) components.push(component)
    }
  }
  for (const v of edges.keys()) if (!index.has(v)) visit(v)
  return components.map((component) => pathThrough(component, edges))
}

/** A closed walk through every member of a component, for the message. */
function pathThrough (component: string[], edges: Map<string, Map<string, string>>): string[] {
  const members = new Set(component)
  const start = [...members].sort()[0]!
  const walk = [start]
  let at = start
  while (walk.length < members.size) {
    const next = [...edges.get(at)?.keys() ?? []].find((w) => members.has(w) && !walk.includes(w))
    if (next === undefined) break
    walk.push(next)
    at = next
  }
  // Close the circle only where the walk's last unit really imports its first.
  return edges.get(at)?.has(start) === true ? walk : [...members].sort()
}

t.test('the rule itself: an upward import, a circle of folders and Fastify in a service are each caught', async (t) => {
  t.same(layeringViolations([{ from: 'src/credentials/service.ts', to: 'src/domain/scope.ts' }]), [], 'downward is fine')
  t.match(layeringViolations([{ from: 'src/store/targets.ts', to: 'src/credentials/bindings.ts' }]),
    [/upstreams and store \(src\/store\) must not import services \(src\/credentials\)/])
  t.match(layeringViolations([
    { from: 'src/mqtt/storage-config.ts', to: 'src/credentials/service.ts' },
    { from: 'src/credentials/service.ts', to: 'src/mqtt/topics.ts' }
  ]), [/src\/credentials → src\/mqtt → src\/credentials import each other/])
  t.match(layeringViolations([{ from: 'src/credentials/service.ts', to: 'node_modules/fastify/fastify.js' }]), [/never imports Fastify/])
  t.match(layeringViolations([{ from: 'src/newfolder/x.ts', to: 'src/errors.ts' }]), [/src\/newfolder is in no layer/])
})

t.test('the shipped code keeps the layering', async (t) => {
  const tsConfig = extractTSConfig('tsconfig.json')
  const result = await cruise(['src', 'routes', 'schemas'], {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: '^node_modules' }
  }, {}, { tsConfig })
  if (typeof result.output === 'string') throw new Error('dependency-cruiser returned a report instead of a graph')
  const imports: Import[] = []
  for (const module of result.output.modules) {
    for (const dep of module.dependencies) {
      if (dep.coreModule || dep.couldNotResolve) continue
      imports.push({ from: module.source, to: dep.resolved })
    }
  }
  t.ok(imports.some((i) => i.from === 'src/app.ts' && i.to.startsWith('routes/')), 'the graph is real: app.ts wires the routes')
  t.ok(imports.some((i) => i.from.startsWith('src/store/') && i.to === 'src/domain/target.ts'), 'type-only imports are in it')
  t.same(layeringViolations(imports), [])
})
