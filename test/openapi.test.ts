import t from 'tap'
import { readFile } from 'node:fs/promises'
import { generateOpenApiYaml } from '../src/openapi.js'

t.test('openapi.yaml is what the route schemas generate (run `npm run openapi` after changing a route)', async (t) => {
  const checkedIn = await readFile(new URL('../openapi.yaml', import.meta.url), 'utf8')
  const generated = await generateOpenApiYaml()
  t.equal(checkedIn, generated, 'openapi.yaml has drifted from the code')
})

t.test('every response of every operation has a description of its own', async (t) => {
  const yaml = await generateOpenApiYaml()
  t.notMatch(yaml, /Default Response/, 'a response schema lacks a description (use `described` from schemas/common.ts)')
})
