import t from 'tap'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { ADMIN_TOKEN, buildTestApp } from './helpers/app.js'
import { ARTIFACTS, CHROMIUM, chromiumSkip, openPage } from './helpers/browser.js'
import { listen, popCore } from './routes/edas-fixtures.js'
import { CONSOLE_CSP } from '../routes/console.js'

/**
 * The operator console at /console in a real browser (test/helpers/browser.ts:
 * a missing Chromium skips, with its reason, unless STSGATE_TEST_CHROMIUM names it):
 * sign in, create a project, an access key and a target, bind EDAS, vend
 * through @alicloud/pop-core, see the vend on the Overview chart and in the
 * vend log, rotate the key. Screenshots go to test/artifacts/.
 */

async function popCoreCode (p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err) {
    return String((err as { code?: unknown }).code)
  }
  return 'succeeded'
}

t.test('the console is static files under a strict Content-Security-Policy', async (t) => {
  const h = await buildTestApp(t)
  const page = await h.app.inject({ method: 'GET', url: '/console/' })
  t.equal(page.statusCode, 200)
  t.equal(page.headers['content-security-policy'], CONSOLE_CSP)
  t.match(CONSOLE_CSP, /script-src 'self'/)
  t.notMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval/, 'no inline script or style is allowed')
  t.notMatch(page.body, /<script>|<style>|\sstyle="|\son[a-z]+="/, 'the page itself has no inline script, style or handler')
  t.equal((await h.app.inject({ method: 'GET', url: '/console' })).headers.location, '/console/')
  t.match((await h.app.inject({ method: 'GET', url: '/console/vendor/uPlot.iife.min.js' })).headers['content-type'], /javascript/)
  const missing = await h.app.inject({ method: 'GET', url: '/console/../package.json' })
  t.equal(missing.statusCode, 404)
  t.same(Object.keys(missing.json()).sort(), ['error', 'message'], 'an unknown file answers in the admin dialect')
  const series = await h.admin('GET', '/series')
  t.match(series, { status: 200, body: { instance: String, interval_seconds: 10, points: [{ partial: true, vends: 0, cache_hit_ratio: null }] } })
})

t.test('an operator signs in, sets up a project, sees a pop-core vend on the chart and in the vend log, and rotates the key', { skip: chromiumSkip }, async (t) => {
  t.ok(existsSync(CHROMIUM), `${CHROMIUM} is installed (STSGATE_TEST_CHROMIUM names it)`)
  if (!existsSync(CHROMIUM)) return
  const h = await buildTestApp(t)
  const base = await listen(t, h.app)

  const page = await openPage(t, { viewport: { width: 1280, height: 1000 }, timeoutMs: 20_000 })
  const problems: string[] = []
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()) })
  page.on('pageerror', (e) => problems.push(e.message))
  const urls: string[] = []
  page.on('request', (r) => urls.push(r.url()))
  page.on('dialog', (d) => { void d.accept() })
  await mkdir(ARTIFACTS, { recursive: true })
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `console-${name}.png`), fullPage: true })

  await page.goto(`${base}/console/`)
  await page.locator('input[name=token]').fill('not-the-token')
  await page.locator('#signin button').click()
  await page.locator('#signin-error', { hasText: 'refused' }).waitFor()
  t.match(problems, [/401/], 'the refused token was a 401')
  problems.length = 0
  await page.locator('input[name=token]').fill(ADMIN_TOKEN)
  await page.locator('#signin button').click()
  await page.locator('h1', { hasText: 'Overview' }).waitFor()
  t.equal(await page.evaluate(() => sessionStorage.getItem('stsgate.adminToken')), ADMIN_TOKEN, 'the token is kept in session storage')

  // A project, an access key (secret shown once), a local target, the EDAS binding.
  await page.locator('nav a', { hasText: 'Projects' }).click()
  await page.locator('#create-project input[name=name]').fill('console-demo')
  await page.locator('#create-project button').click()
  await page.locator('h1', { hasText: 'Project console-demo' }).waitFor()
  await page.locator('#create-key').click()
  const panel = page.locator('[data-testid=secret]')
  await panel.waitFor()
  const [accessKeyId, secret] = await panel.locator('code').allTextContents() as [string, string]
  t.match(accessKeyId, /^SG[A-Z0-9]{18}$/)
  t.match(secret, /^[A-Za-z0-9]{40}$/)
  await shot('access-key-created')
  await panel.getByRole('button', { name: 'Done' }).click()
  await page.locator('#access-keys td', { hasText: accessKeyId }).waitFor()
  t.equal(await page.locator('#access-keys').textContent().then((s) => s?.includes(secret)), false, 'the list never shows the secret')

  const form = page.locator('#create-target')
  await form.locator('input[name=name]').fill('packages')
  await form.locator('select[name=provider]').selectOption('local')
  await form.locator('input[name=bucket]').fill('edas-bj')
  await form.locator('input[name=region]').fill('cn-beijing')
  await form.locator('input[name=endpoint]').fill('oss-cn-beijing.aliyuncs.com')
  await form.locator('button').click()
  await page.locator('#targets td', { hasText: 'edas-bj' }).waitFor()
  await page.locator('#bind select[name=contract]').selectOption('edas')
  await page.locator('#bind button').click()
  await page.locator('#bindings td', { hasText: 'release-pkg/' }).waitFor()

  // A vend through the real Alibaba client, with the key the console showed.
  const vended = await popCore(base, { accessKeyId, secret })
  t.match(vended, { Code: 200, Credential: { Bucket: 'edas-bj' } })

  await page.locator('nav a', { hasText: 'Overview' }).click()
  await page.locator('#chart-vends canvas').waitFor()
  const lastVends = Number(await page.locator('#chart-vends').getAttribute('data-last'))
  t.ok(lastVends > 0, `the vends chart's last point counts the vend (${lastVends} per minute)`)
  await page.locator('td', { hasText: 'local' }).first().waitFor()
  await shot('overview')

  await h.app.vendAudit.flush()
  await page.locator('nav a', { hasText: 'Audit' }).click()
  await page.locator('#chain-status', { hasText: 'All chains verify' }).waitFor()
  await page.locator('#audit-results td', { hasText: 'access_key.create' }).waitFor()
  await shot('audit-changes')
  await page.locator('#vend-log').click()
  await page.locator('#audit-results td', { hasText: `ak:${accessKeyId}` }).waitFor()
  t.ok(await page.locator('#audit-results td', { hasText: 'edas' }).count() > 0, 'the vend log names the contract')
  await shot('audit-vends')

  // Rotate from the project page: the new secret is shown once, the old key stops at once.
  await page.locator('nav a', { hasText: 'Projects' }).click()
  await page.locator('a', { hasText: 'console-demo' }).click()
  await page.locator('#access-keys tr', { hasText: accessKeyId }).locator('[data-action=rotate]').click()
  await page.locator('[data-testid=secret]', { hasText: `${accessKeyId} is now disabled` }).waitFor()
  const [newKeyId, newSecret] = await page.locator('[data-testid=secret] code').allTextContents() as [string, string]
  t.not(newKeyId, accessKeyId)
  await page.locator('#access-keys tr', { hasText: newKeyId }).waitFor()
  await shot('rotated')
  t.equal(await popCoreCode(popCore(base, { accessKeyId, secret })), 'InvalidAccessKeyId.Inactive', 'the old key is refused')
  t.match(await popCore(base, { accessKeyId: newKeyId, secret: newSecret }), { Code: 200 }, 'the new key vends')

  t.same(problems, [], 'no script errors and no Content-Security-Policy violations')
  t.notOk(urls.some((u) => u.includes(ADMIN_TOKEN)), 'the admin token never appears in a URL')
})
