/**
 * Shared component schemas for the OpenAPI document. Every object schema with
 * a `title` (the error bodies, the admin API's projects, targets, devices, …)
 * is written once under `components.schemas` and referenced with `$ref`
 * wherever a route uses it.
 *
 * This works on the generated document only: the route schemas Fastify
 * validates and serializes with stay self-contained, so validation and
 * replies are exactly what they were.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type JsonObject = { [key: string]: Json }

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** `aliyun upstream` → `AliyunUpstream`: component names allow only [A-Za-z0-9._-]. */
export const componentName = (title: string): string =>
  title.split(/[^A-Za-z0-9._-]+/).filter(Boolean).map((w) => w[0]?.toUpperCase() + w.slice(1)).join('')

/**
 * Media examples are generated as example1, example2, …; name each after what
 * it shows instead (its error code, or the provider of a target), so the
 * Swagger UI's example picker reads `PackageStorage.NotConfigured`, not `example3`.
 */
function nameExamples (examples: JsonObject): JsonObject {
  const named: JsonObject = {}
  for (const [key, example] of Object.entries(examples)) {
    const value = isObject(example) ? example.value : undefined
    const label = isObject(value) ? value.Code ?? value.error_code ?? value.error ?? value.provider : undefined
    const name = typeof label === 'string' && !(label in named) ? label : key
    named[name] = example
  }
  return named
}

const withoutDescription = ({ description: _, ...rest }: JsonObject): JsonObject => rest

/** Returns the document with every titled object schema moved to components.schemas. */
export function hoistComponents<T extends object> (document: T): T {
  const found = new Map<string, { schema: JsonObject, descriptions: Set<string> }>()
  const sharedExamples = new Map<string, string>()

  /** An example of a component schema (an error body most often) is written once, under components.examples. */
  const shareExamples = (schema: Json | undefined, examples: JsonObject): JsonObject => {
    const ref = isObject(schema) && typeof schema.$ref === 'string' ? schema.$ref.replace('#/components/schemas/', '') : undefined
    if (ref === undefined) return examples
    return Object.fromEntries(Object.entries(examples).map(([name, example]) => {
      const key = componentName(`${ref}.${name}`)
      const text = JSON.stringify(example)
      const seen = sharedExamples.get(key)
      if (seen !== undefined && seen !== text) return [name, example]
      sharedExamples.set(key, text)
      return [name, { $ref: `#/components/examples/${key}` }]
    }))
  }

  const walk = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(walk)
    if (!isObject(node)) return node
    const walked: JsonObject = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]))
    if (isObject(walked.examples)) walked.examples = shareExamples(walked.schema, nameExamples(walked.examples))
    const title = walked.title
    if (typeof title !== 'string' || walked.type !== 'object') return walked
    const name = componentName(title)
    const seen = found.get(name)
    if (seen === undefined) {
      found.set(name, { schema: walked, descriptions: new Set([String(walked.description ?? '')]) })
    } else {
      // One title, one shape: two different schemas under one name would make the reference lie.
      if (JSON.stringify(withoutDescription(seen.schema)) !== JSON.stringify(withoutDescription(walked))) {
        throw new Error(`two different schemas are titled ${title}`)
      }
      seen.descriptions.add(String(walked.description ?? ''))
    }
    return { $ref: `#/components/schemas/${name}` }
  }

  const doc = document as unknown as JsonObject
  const paths = walk(doc.paths ?? {})
  const components = isObject(doc.components) ? doc.components : {}
  const schemas: JsonObject = isObject(components.schemas) ? { ...components.schemas } : {}
  for (const [name, { schema, descriptions }] of [...found].sort(([a], [b]) => a.localeCompare(b))) {
    // A route-specific description (the error codes of one status) stays on the response, not the component.
    schemas[name] = descriptions.size === 1 ? schema : withoutDescription(schema)
  }
  const examples: JsonObject = Object.fromEntries([...sharedExamples].sort(([a], [b]) => a.localeCompare(b)).map(([key, text]) => [key, JSON.parse(text) as Json]))
  return { ...doc, paths, components: { ...components, schemas, examples } } as unknown as T
}
