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
