// npm runs `prepare` after every install in this directory. A development
// install (dev dependencies present) builds dist/. A production install
// (`npm ci --omit=dev`) has no TypeScript: it uses the dist/ already built, and
// says how to get one when there is none. `npm pack` builds in `prepack`.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'

if (process.env.npm_command === 'pack' || process.env.npm_command === 'publish') process.exit(0)

let tsc
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
} catch {}

if (tsc !== undefined) {
  const { status } = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' })
  process.exit(status ?? 1)
} else if (existsSync('dist/src/cli.js')) {
  console.log('stsgate: production install (no TypeScript): using the dist/ already built')
} else {
  console.error('stsgate: dist/ is not built and TypeScript is not installed. Install with dev dependencies (npm ci) to build, or install the packed tarball (npm pack; see docs/operations.md).')
  process.exit(1)
}
