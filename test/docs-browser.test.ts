import t from 'tap'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { buildTestApp } from './helpers/app.js'
import { ARTIFACTS, CHROMIUM, chromiumSkip, openPage } from './helpers/browser.js'

/**
 * The API documentation at /docs, in a real browser (test/helpers/browser.ts:
 * a missing Chromium skips, with its reason, unless STSGATE_TEST_CHROMIUM names it).
 */
t.test('Swagger UI lists every operation and "Try it out" on Workspace returns the credential', { skip: chromiumSkip }, async (t) => {
  t.ok(existsSync(CHROMIUM), `${CHROMIUM} is installed (STSGATE_TEST_CHROMIUM names it)`)
  if (!existsSync(CHROMIUM)) return

  const test = await buildTestApp(t)
  const created = async (method: string, url: string, body?: unknown): Promise<any> => {
    const res = await test.admin(method, url, body)
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`)
    return res.body
  }
  const { project_id: projectId } = await created('POST', '/projects', { name: 'browser' })
  const { token } = await created('POST', `/projects/${projectId}/tokens`, { ttl_seconds: 600 })
  const target = await created('POST', `/projects/${projectId}/targets`, {
    name: 'dev', provider: 'local', bucket: 'docs-bucket', region: 'cn-north-4', endpoint: 'obs.cn-north-4.myhuaweicloud.com'
  })
  await created('PUT', `/projects/${projectId}/bindings`, { workspace: { target_id: target.target_id } })
  await test.app.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${(test.app.server.address() as AddressInfo).port}`

  const page = await openPage(t, { viewport: { width: 1280, height: 1600 }, timeoutMs: 15_000 })
  // On failure too: the screenshot is how one sees what the page showed.
  t.teardown(async () => {
    await mkdir(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: join(ARTIFACTS, 'swagger-ui-workspace.png'), fullPage: true })
  })
  await page.goto(`${base}/docs`)
  await page.locator('.opblock').first().waitFor()

  const paths = await page.locator('.opblock-summary-path').allTextContents()
  const listed = paths.map((p) => p.replace(/\u200b/g, '').trim())
  for (const path of ['/pop/v5/package_storage_credential', '/v1/{project_id}/app-warehouse/action/authorize',
    '/v5/iot/{project_id}/devices/{device_id}/action', '/admin/v1/projects', '/admin/v1/projects/{project_id}/tokens', '/admin/v1/status', '/metrics']) {
    t.ok(listed.includes(path), `${path} is listed`)
  }

  // "Authorize": the X-Auth-Token goes in through the authToken apiKey scheme.
  await page.locator('button.authorize').first().click()
  const scheme = page.locator('.auth-container').filter({ hasText: 'X-Auth-Token' })
  await scheme.locator('input').fill(token)
  await scheme.locator('button.authorize').click()
  await scheme.locator('button.btn-done').click()

  const operation = page.locator('.opblock').filter({ has: page.locator('.opblock-summary-path', { hasText: /app-warehouse/ }) })
  await operation.locator('.opblock-summary').click()
  await operation.getByRole('button', { name: 'Try it out' }).click()
  await operation.locator('input[placeholder="project_id"]').fill(projectId)
  await operation.locator('textarea.body-param__text').fill(JSON.stringify({ app_file_name: 'Browser.exe' }))
  await operation.getByRole('button', { name: 'Execute' }).click()

  const live = operation.locator('.live-responses-table')
  const status = live.locator('tbody .response-col_status').first()
  await status.waitFor()
  t.equal((await status.textContent())?.trim(), '200', 'the live response is 200')
  const shown = await live.locator('.response-col_description pre').first().textContent() ?? ''
  const body = JSON.parse(shown)
  t.match(body, {
    bucket_name: 'docs-bucket', directory: `file/${projectId}/Browser.exe`, ak: /\S{8,}/, sk: /\S{8,}/, security_token: /\S{8,}/
  }, 'the body shown is the Workspace credential')
  const curl = await operation.locator('.curl-command').textContent() ?? ''
  t.match(curl, /X-Auth-Token: /i, 'the token travelled as the X-Auth-Token header')
})
