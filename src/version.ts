import { readFileSync } from 'node:fs'

/**
 * This package's version, from its package.json: one folder up from src/
 * when run from source, two from dist/src/ when built.
 */
export function packageVersion (): string {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { name?: string, version?: string }
      if (manifest.name === 'stsgate' && typeof manifest.version === 'string') return manifest.version
    } catch {}
  }
  return 'unknown'
}
