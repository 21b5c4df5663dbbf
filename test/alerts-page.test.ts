import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { buildExplorerIfStale } from '../gateway/src/explorer/build.ts'
import { useGateway } from './harness.ts'
import { launchBrowser, SCREENSHOT_DIR } from './browser.ts'
import { adminApi, MinuteClock } from './alerts-helpers.ts'

/**
 * The Alerts page in headless Chromium: a rule made in the form is listed next to the read-only
 * config rule, fires on the traffic already sent, and its firing shows in the history table.
 */
const TOKEN = 'alerts-page-admin-token'
const env = useGateway(
  (mock) => ({
    providers: { openai: { base_url: `${mock.url}/v1` } },
    alerts: {
      evaluate_every_s: 1,
      webhooks: [{ name: 'oncall', url: 'http://127.0.0.1:9/hook', secret: 'whsec_page_0123456789abcdef' }],
      rules: [{ name: 'all lost', metric: 'requests_lost', threshold: 5 }],
    },
  }),
  {
    adminToken: TOKEN,
    faults: true,
    beforeStart: async () => {
      await buildExplorerIfStale({ info: () => undefined, warn: () => undefined })
    },
  },
)
const clock = new MinuteClock(adminApi(env, TOKEN))
let browser: Browser
let page: Page
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 200 })

beforeAll(async () => {
  await clock.step(0)
  const client = env.openai('sk-page-byok')
  for (let i = 0; i < 2; i++)
    await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-tracegate-team': 'growth' } },
    )
  await env.gw.flushSpans()
  await clock.step(1)
  browser = await launchBrowser()
  page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage()
  page.setDefaultTimeout(10_000)
}, 60_000)
afterAll(() => browser?.close())

describe('the Alerts page', () => {
  it('creates a rule in the form, lists it beside the config rule, and shows its firing in the history', async () => {
    await page.goto(`${env.url}/alerts`)
    await page.getByLabel('Admin token').fill(TOKEN)
    await page.getByRole('button', { name: 'Continue' }).click()
    await page.locator('tr[data-rule="all lost"]').waitFor()
    expect(await page.locator('tr[data-rule="all lost"] td').nth(9).textContent()).toBe('config (read-only)')
    expect(await page.locator('tr[data-rule="all lost"] button').count()).toBe(0)

    const form = page.getByRole('form', { name: 'Alert rule' })
    await form.getByLabel('Name').fill('growth spend')
    await form.getByLabel('Metric').selectOption('cost_usd')
    await form.getByLabel('Threshold (fires above)').fill('0')
    await form.getByLabel('Window (minutes)').fill('10')
    await form.getByLabel('For (minutes)').fill('0')
    await form.getByLabel('Minimum attempts').fill('1')
    await form.getByLabel('Team').fill('growth')
    await form.getByLabel('oncall (json)').check()
    await form.getByRole('button', { name: 'Create rule' }).click()

    const row = page.locator('tr[data-rule="growth spend"]')
    await row.waitFor()
    expect(await row.locator('td').nth(3).textContent()).toBe('team=growth')
    expect(await row.locator('td').nth(8).textContent()).toBe('oncall')
    expect(await row.locator('td').nth(9).textContent()).toBe('explorer')
    await poll(() => row.getByTestId('alert-state').textContent()).toBe('firing')
    const history = page.getByTestId('alert-history').locator('tbody tr')
    await poll(() => history.count()).toBe(1)
    expect(await history.locator('td').nth(1).textContent()).toBe('growth spend')
    expect(await history.locator('td').nth(2).textContent()).toBe('firing')

    // The same name again: the API's 400 is shown by the form.
    await form.getByLabel('Name').fill('growth spend')
    await form.getByRole('button', { name: 'Create rule' }).click()
    expect(await page.getByTestId('rule-error').textContent()).toBe('name: a rule named "growth spend" exists already')
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'alerts.png'), fullPage: true })
  })
})
