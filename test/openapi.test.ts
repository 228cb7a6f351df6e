import t from 'tap'
import { readFile } from 'node:fs/promises'
import { Validator } from '@seriousme/openapi-schema-validator'
import { generateOpenApiYaml } from '../src/openapi.js'
import { openTestStore, testMasterKey } from './helpers/store.js'

// One store from the test template (no initdb), one generation for both checks.
const keys = testMasterKey()
const generating = openTestStore(t, 'pglite', keys).then((store) => generateOpenApiYaml({ store, keys }))

t.test('openapi.yaml is what the route schemas generate (run `npm run openapi` after changing a route)', async (t) => {
  const checkedIn = await readFile(new URL('../openapi.yaml', import.meta.url), 'utf8')
  const generated = await generating
  t.equal(checkedIn, generated, 'openapi.yaml has drifted from the code')
})

t.test('every response of every operation has a description of its own', async (t) => {
  const yaml = await generating
  t.notMatch(yaml, /Default Response/, 'a response schema lacks a description (use `described` from schemas/common.ts)')
})

t.test('openapi.yaml is a valid OpenAPI document (checked against the official JSON schema by a standard validator)', async (t) => {
  const validator = new Validator()
  const result = await validator.validate(await readFile(new URL('../openapi.yaml', import.meta.url), 'utf8'))
  t.same(result.errors ?? [], [], 'no schema errors')
  t.equal(result.valid, true)
  t.equal(validator.version, '3.0')
})

t.test('the Swagger UI is titled and branded as stsgate', async (t) => {
  const { buildTestApp } = await import('./helpers/app.js')
  const h = await buildTestApp(t)
  const page = await h.app.inject({ method: 'GET', url: '/docs/' })
  t.equal(page.statusCode, 200)
  t.match(page.body, /<title>stsgate API<\/title>/)
  t.notMatch(page.body, /<title>Swagger UI<\/title>/)
})

t.test('error bodies and repeated objects are shared components, referenced with $ref', async (t) => {
  const yaml = await generating
  for (const name of ['AdminError', 'PopError', 'HuaweiError', 'Project', 'Target', 'Device', 'Gateway', 'AccessKey']) {
    t.equal(yaml.split(`title: ${name}\n`).length - 1, 1, `${name} is written once`)
    t.match(yaml, `$ref: "#/components/schemas/${name}"`, `${name} is referenced`)
  }
})

t.test('every request body and every documented error code has a real example', async (t) => {
  const { buildTestApp } = await import('./helpers/app.js')
  const h = await buildTestApp(t)
  const doc = h.app.swagger() as any
  const example = (e: any): any => e.$ref === undefined ? e.value : doc.components.examples[e.$ref.replace('#/components/examples/', '')].value
  const examplesOf = (media: any): any[] => media.example !== undefined ? [media.example] : Object.values(media.examples ?? {}).map(example)
  let bodies = 0
  let errors = 0
  const dialects = ['admin', 'edas', 'workspace', 'iotda']
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      if (!dialects.includes(op.tags?.[0])) continue
      const body = op.requestBody?.content?.['application/json']
      if (body !== undefined) {
        bodies++
        t.not(examplesOf(body).length, 0, `${method} ${path}: the request body has an example`)
      }
      for (const [status, response] of Object.entries<any>(op.responses)) {
        const media = response.content?.['application/json']
        if (Number(status) < 400 || media === undefined) continue
        const shown = examplesOf(media)
        t.not(shown.length, 0, `${method} ${path} ${status}: an example error body`)
        for (const body of shown) {
          errors++
          // The code shown is one the response documents, in the operation's own dialect.
          const code = body.Code ?? body.error_code ?? body.error
          t.ok(typeof code === 'string' && response.description.includes(code), `${method} ${path} ${status}: ${String(code)} is documented here`)
        }
      }
    }
  }
  t.ok(bodies >= 13 && errors >= 600, `examples found: ${bodies} request bodies, ${errors} error bodies`)
})

t.test('the schema examples are valid by their own schemas', async (t) => {
  const { Value } = await import('@sinclair/typebox/value')
  const { TypeRegistry } = await import('@sinclair/typebox')
  // schemas/iotda.ts spells its enums with Type.Unsafe, which TypeBox's checker leaves to the caller.
  if (!TypeRegistry.Has('Unsafe')) TypeRegistry.Set('Unsafe', (schema: any, value) => !Array.isArray(schema.enum) || schema.enum.includes(value))
  const modules = [await import('../schemas/admin.js'), await import('../schemas/workspace.js'), await import('../schemas/iotda.js'), await import('../schemas/edas.js')]
  let checked = 0
  for (const module of modules) {
    for (const [name, schema] of Object.entries<any>(module)) {
      if (typeof schema !== 'object' || !Array.isArray(schema.examples)) continue
      for (const example of schema.examples) {
        checked++
        t.ok(Value.Check(schema, example), `${name}: ${JSON.stringify(example)}`)
      }
    }
  }
  t.ok(checked >= 15, `${checked} examples checked`)
})
