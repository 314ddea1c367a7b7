// The page at `/` in a real browser: Debian's chromium driven by
// playwright-core (no browser download; `.ci/run` installs the package).
// A daemon probes real loopback peers every second; the page is loaded for a
// healthy and a broken scenario, then watched picking up a state change
// without a reload. Screenshots are kept as artefacts outside the tree
// (GROUNDTRUTH_SCREENSHOTS, default $TMPDIR/groundtruth-screenshots).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import t, { type Test } from 'tap'
import { loadConfig } from '../../src/config/load.js'
import { Daemon } from '../../src/daemon.js'
import { createLogger } from '../../src/log.js'
import { PROBE_KINDS } from '../../probes/index.js'
import { writeConfig } from '../helpers/config.js'
import { closedPort, httpServer } from '../helpers/servers.js'
import { renderPage } from '../../src/presentation/page.js'
import { longHistory } from '../presentation/long-history.js'

const CHROMIUM = '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
export const SCREENSHOTS = process.env.GROUNDTRUTH_SCREENSHOTS ?? join(tmpdir(), 'groundtruth-screenshots')
const HOSTILE = `<img src=x onerror="window.__pwned=1">`

/** A fresh browser profile (its own --user-data-dir) with JavaScript on or off. */
async function browser(t: Test, javaScriptEnabled = true): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'groundtruth-chromium-'))
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, javaScriptEnabled, viewport: { width: 1400, height: 900 } })
  t.teardown(async () => {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  })
  return context
}

/** A page that records every console error and uncaught exception. */
async function open(context: BrowserContext, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = context.pages()[0] ?? (await context.newPage())
  const errors: string[] = []
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
  page.on('pageerror', (e) => errors.push(String(e)))
  await page.goto(url)
  return { page, errors }
}

async function daemonFor(t: Test, yaml: string): Promise<string> {
  const { file } = writeConfig(yaml)
  const daemon = await Daemon.create({ load: () => loadConfig(file, PROBE_KINDS, {}), log: createLogger({ level: 'error', write: () => {} }) })
  const server = await daemon.listen(0, '127.0.0.1')
  t.teardown(() => daemon.stop())
  await daemon.startProbing()
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  for (const width of [1400, 390]) {
    await page.setViewportSize({ width, height: 900 })
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true })
  }
  await page.setViewportSize({ width: 1400, height: 900 })
}

const text = (page: Page, selector: string) => page.locator(selector).first().textContent()
const row = (page: Page, name: string) => page.locator(`tr[data-service="${name}"]`)

t.test('a healthy scenario: the verdict passes, every service ready with its history; a state change shows without a reload', async (t) => {
  let failing = false
  const api = await httpServer((_req, res) => {
    res.statusCode = failing ? 503 : 200
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ status: failing ? 'down' : 'ok' }))
  })
  const db = await httpServer((_req, res) => res.end('ok'))
  t.teardown(api.close)
  t.teardown(db.close)
  const base = await daemonFor(
    t,
    `
defaults: { interval: 1s, timeout: 400ms }
services:
  - { name: api, group: backend, probe: http, url: "${api.url}/health", critical: true, depends_on: [db], description: The public API }
  - { name: db, group: infrastructure, probe: tcp, address: "127.0.0.1:${db.port}" }
`,
  )
  const context = await browser(t)
  const { page, errors } = await open(context, base)

  t.equal(await text(page, '#headline'), '100% ready')
  t.equal(await text(page, '#gates'), 'passed')
  t.equal(await page.locator('#failures li').count(), 0, 'no gate failure')
  t.match(await text(page, '#last-round'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/, 'the time of the last round')
  t.equal(await row(page, 'api').locator('.badge').textContent(), '✔ ready')
  t.match(await row(page, 'api').locator('.since').textContent(), /^ready since \d{4}-/)
  t.equal(await row(page, 'api').locator('.crit').textContent(), 'critical')
  t.ok((await row(page, 'api').locator('.hist i.ready').count()) >= 1, 'history cells')
  t.equal(await row(page, 'api').locator('.uptime').textContent(), '100%')
  await screenshots(page, 'healthy')

  // The script keeps the page in step with /status: no reload (a marker on window survives).
  await page.evaluate(() => ((window as unknown as Record<string, number>).__sameDocument = 1))
  const cellsBefore = await row(page, 'api').locator('.hist i').count()
  failing = true
  await page.waitForFunction(() => document.querySelector('tr[data-service="api"] .badge')?.textContent === '✖ down', undefined, { timeout: 10_000 })
  t.equal(await page.evaluate(() => (window as unknown as Record<string, number>).__sameDocument), 1, 'the page was not reloaded')
  t.equal(await text(page, '#gates'), 'failed: 2 failures')
  t.match(await page.locator('#failures').textContent(), /critical service api is not ready/)
  t.equal(await page.locator('#verdict').getAttribute('class'), 'verdict fail')
  t.match(await row(page, 'api').locator('.since').textContent(), /^down since \d{4}-/)
  t.match(await row(page, 'api').locator('.why').textContent(), /it answered with an unexpected status \(status\)/)
  t.ok((await row(page, 'api').locator('.hist i.fail').count()) >= 1, 'a failed cell in the history')
  t.ok((await row(page, 'api').locator('.hist i').count()) > cellsBefore, 'the history grew')
  t.notSame(await row(page, 'api').locator('.uptime').textContent(), '100%')
  await screenshots(page, 'healthy-then-down')
  t.same(errors, [], 'no console errors')
})

t.test('a broken scenario: every gate failure in words, a down service with its cause, the dependent links to it, hostile texts shown as text', async (t) => {
  const web = await httpServer((_req, res) => res.end('nothing here'))
  t.teardown(web.close)
  const down = await closedPort()
  const base = await daemonFor(
    t,
    `
defaults: { interval: 1s, timeout: 400ms }
services:
  - { name: api, group: backend, probe: http, url: "${web.url}/", critical: true, depends_on: [db] }
  - name: web
    group: '${HOSTILE}'
    probe: http
    url: "${web.url}/"
    description: 'Storefront ${HOSTILE}'
    expect: { body_contains: '${HOSTILE}' }
  - { name: db, group: infrastructure, probe: tcp, address: "127.0.0.1:${down}" }
`,
  )
  const context = await browser(t)
  const { page, errors } = await open(context, base)

  t.equal(await text(page, '#headline'), '0% ready')
  t.match(await text(page, '#gates'), /^failed: \d+ failures$/)
  const failures = await page.locator('#failures li').allTextContents()
  t.ok(failures.some((f) => /^ready ratio 0% is below the gate of 100%/.test(f)), 'the ratio gate in words')
  t.ok(failures.some((f) => /^critical service api is not ready: waits on db/.test(f)), 'the critical service in words')
  t.equal(await row(page, 'db').locator('.badge').textContent(), '✖ down')
  t.match(await row(page, 'db').locator('.why').textContent(), /^nothing answered \(connection refused\) — /, 'the cause of the down service')
  t.match(await row(page, 'db').locator('.since').textContent(), /^down since /)
  t.equal(await row(page, 'api').locator('.badge').textContent(), '⚠ not ready')
  t.equal(await row(page, 'api').locator('.why a').getAttribute('href'), '#svc-db', 'the dependency is named and linked')
  t.ok((await row(page, 'db').locator('.hist i.fail').count()) >= 1, 'failed history cells')
  t.equal(await row(page, 'db').locator('.uptime').textContent(), '0%')

  // Hostile group, description and error text arrive as text, never as markup.
  t.equal(await page.locator('main img').count(), 0, 'no element was injected')
  t.match(await row(page, 'web').locator('.desc').textContent(), `Storefront ${HOSTILE}`)
  t.match(await row(page, 'web').locator('.why').textContent(), `body lacks ${JSON.stringify(HOSTILE)}`)
  t.ok((await page.locator('h2').allTextContents()).includes(`${HOSTILE} — 0% ready`), 'the hostile group name as text')
  // After a refresh (textContent only) still nothing injected.
  const before = await text(page, '#refresh-state')
  await page.waitForFunction((b) => document.getElementById('refresh-state')?.textContent !== b, before, { timeout: 10_000 })
  t.match(await text(page, '#refresh-state'), /^· updated /)
  t.match(await row(page, 'web').locator('.why').textContent(), `body lacks ${JSON.stringify(HOSTILE)}`, 'the refreshed cause, still text')
  t.equal(await page.locator('main img').count(), 0)
  t.equal(await page.evaluate(() => (window as unknown as Record<string, unknown>).__pwned), undefined, 'no hostile script ran')
  await screenshots(page, 'broken')
  t.same(errors, [], 'no console errors')

  // With JavaScript off the server-rendered page says the same.
  const plain = await browser(t, false)
  const { page: still } = await open(plain, base)
  t.equal(await text(still, '#headline'), '0% ready')
  t.match(await row(still, 'db').locator('.why').textContent(), /^nothing answered \(connection refused\)/)
  t.equal(await still.locator('main img').count(), 0)
})

t.test('every section at once: 100 history cells, containers and migrations, at desktop and phone width', async (t) => {
  const { doc } = await longHistory()
  const context = await browser(t)
  const page = context.pages()[0] ?? (await context.newPage())
  const errors: string[] = []
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
  page.on('pageerror', (e) => errors.push(String(e)))
  await page.setContent(renderPage({ ...doc, refresh_seconds: null }))
  t.equal(await row(page, 'api').locator('.hist i').count(), 100)
  const box = await row(page, 'api').locator('.hist').boundingBox()
  const cell = await row(page, 'api').locator('td.history').boundingBox()
  t.ok(box && cell && box.x + box.width <= cell.x + cell.width + 0.5, 'the 100 cells fit their column at 1400px')
  await screenshots(page, 'every-section')
  await page.setViewportSize({ width: 390, height: 900 })
  t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'no sideways scrolling at phone width')
  t.same(errors, [], 'no console errors')
})
