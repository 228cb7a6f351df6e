import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { chromium, type Page } from 'playwright-core'

/**
 * The browser tests' Chromium: Debian's package, driven by playwright-core.
 * CI installs it and names it in STSGATE_TEST_CHROMIUM: then a missing
 * browser is a failure. Without the variable the tests use /usr/bin/chromium
 * when there is one and otherwise skip, saying why.
 */
export const CHROMIUM = process.env.STSGATE_TEST_CHROMIUM ?? '/usr/bin/chromium'

/** The reason a browser test skips, or false when it runs. */
export const chromiumSkip: string | false = process.env.STSGATE_TEST_CHROMIUM === undefined && !existsSync(CHROMIUM)
  ? `the browser test needs Chromium: ${CHROMIUM} is missing (apt-get install chromium, or set STSGATE_TEST_CHROMIUM to its path)`
  : false

/** Where the browser tests leave their screenshots. */
export const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts')

/**
 * A headless Chromium on a fresh profile, closed and its profile removed when
 * `t` ends; resolves with its page. The flags are the machine's own for a
 * closed network: without the background-networking ones Chromium keeps
 * trying to reach Google's hosts (the env notes).
 */
export async function openPage (t: Test, options: { viewport: { width: number, height: number }, timeoutMs: number }): Promise<Page> {
  const profile = await mkdtemp(join(tmpdir(), 'stsgate-chromium-'))
  t.teardown(() => rm(profile, { recursive: true, force: true }))
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    viewport: options.viewport
  })
  t.teardown(() => browser.close())
  const page = browser.pages()[0] ?? await browser.newPage()
  page.setDefaultTimeout(options.timeoutMs)
  return page
}
