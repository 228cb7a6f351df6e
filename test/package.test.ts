import t from 'tap'
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { SERVE_FLAGS } from '../src/store/pglite-tuning.js'

/**
 * What `npm pack` ships is what production runs (docs/operations.md,
 * "Installing"): the built dist/, no TypeScript sources, and only imports the
 * production dependencies satisfy (`npm install -g ./stsgate-*.tgz` installs
 * nothing else). Reads the dist/ that `npm ci` / `npm run build` made.
 */
const REPO = new URL('../', import.meta.url).pathname

t.test('every way of starting the server passes the V8 flags it is tuned for (Node 24 ignores the WASM one set at run time)', async (t) => {
  const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8'))
  const flags = SERVE_FLAGS.join(' ')
  t.match(pkg.scripts.start, `node ${flags} `, 'npm start')
  t.match(await readFile(join(REPO, 'docs/stsgate.service'), 'utf8'), `ExecStart=/usr/bin/node ${flags} `, 'the systemd unit')
  const bin = await readFile(join(REPO, pkg.bin.stsgate), 'utf8')
  t.equal(bin.split('\n')[0], `#!/usr/bin/env -S node ${flags}`, 'the stsgate bin (the Dockerfile runs it)')
  // The shebang works here, run as the kernel runs it (npm makes the installed bin executable): `env -S` splits the flags off.
  const [interpreter, ...args] = bin.split('\n')[0]!.slice(2).split(' ')
  const { stdout } = await promisify(execFile)(interpreter!, [...args.slice(0, 1), args.slice(1).join(' '), join(REPO, pkg.bin.stsgate), '--version'])
  t.equal(stdout.trim(), `stsgate ${pkg.version as string}`, 'the bin runs through its shebang')
})

t.test('npm pack ships dist/ and whatever it imports is a production dependency', async (t) => {
  const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8'))
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO })
  const files: string[] = JSON.parse(stdout)[0].files.map((f: { path: string }) => f.path)

  for (const needed of [pkg.bin.stsgate, 'dist/src/store/pglite-initdb.js', 'dist/routes/edas.js', 'dist/schemas/admin.js', 'scripts/prepare.js', 'LICENSE', 'README.md']) {
    t.ok(files.includes(needed), `ships ${needed}`)
  }
  t.same(files.filter((f) => f.endsWith('.ts') || f.endsWith('.map') || f.startsWith('test/') || f.startsWith('bench/')), [], 'no sources, maps, tests or benchmarks')

  const allowed = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies ?? {}), ...builtinModules])
  const missing = new Set<string>()
  const seen = new Set<string>()
  for (const file of files.filter((f) => f.endsWith('.js'))) {
    const text = await readFile(join(REPO, file), 'utf8')
    for (const [, spec] of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*)'([^'.][^']*)'/g)) {
      const name = spec!.replace(/^node:/, '').split('/').slice(0, spec!.startsWith('@') ? 2 : 1).join('/')
      seen.add(name)
      if (!allowed.has(name)) missing.add(`${file}: ${spec}`)
    }
  }
  t.ok(seen.has('fastify') && seen.has('@electric-sql/pglite'), 'the scan sees the imports')
  t.same([...missing], [], 'every bare import is in dependencies or built into Node')
})
