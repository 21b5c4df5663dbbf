import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import type { CompareReport, TraceResponse } from '@tracegate/schemas'
import { buildExplorerIfStale } from '../gateway/src/explorer/build.ts'
import { count, pct, usd } from '../ui/src/lib/format.ts'
import { useGateway } from './harness.ts'
import { launchBrowser, SCREENSHOT_DIR, storeToken } from './browser.ts'
import { axeContext, axeViolations } from './axe.ts'
import { chatReply } from './mock-upstream.ts'

/**
 * The Compare page in headless Chromium against a real gateway with shadow traffic: the pair row
 * shows the API's figures side by side, the drill-down both answers of each request with a link to
 * its trace, and neither has a serious axe-core violation in either theme.
 */
const TOKEN = 'compare-page-admin-token'
const env = useGateway(
  (mock) => ({
    providers: { openai: { base_url: `${mock.url}/v1` } },
    models: [
      {
        name: 'support-bot',
        targets: [{ provider: 'openai', model: 'gpt-4o' }],
        shadow: { targets: [{ provider: 'openai', model: 'gpt-4o-mini' }], sample: 1, match: { workflow: 'checkout' } },
      },
    ],
  }),
  {
    adminToken: TOKEN,
    beforeStart: async () => {
      await buildExplorerIfStale({ info: () => undefined, warn: () => undefined })
    },
  },
)
const HOUR = 3_600_000
const from = new Date(Math.floor(Date.now() / HOUR) * HOUR - HOUR)
const to = new Date(from.getTime() + 3 * HOUR)
const pageUrl = `/compare?${new URLSearchParams({ from: from.toISOString(), to: to.toISOString() })}`
let browser: Browser
let api: CompareReport
const traces: TraceResponse[] = []

beforeAll(async () => {
  // Of six shadow answers two differ and one fails: three of five compared pairs agree.
  env.mock.fault({ model: 'gpt-4o-mini', times: 2, reply: chatReply('gpt-4o-mini', 'A different answer') })
  env.mock.fault({ model: 'gpt-4o-mini', times: 1, status: 500 })
  for (let i = 0; i < 6; i++) {
    const res = await env.chat('support-bot', { 'x-tracegate-workflow': 'checkout' })
    await res.text()
    traces.push(await env.trace(res, 3))
  }
  await env.gw.flushSpans()
  const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() })
  api = (await (
    await fetch(`${env.url}/api/compare?${q}`, { headers: { authorization: `Bearer ${TOKEN}` } })
  ).json()) as CompareReport
  browser = await launchBrowser()
}, 60_000)
afterAll(() => browser?.close())

async function open(scheme: 'light' | 'dark'): Promise<Page> {
  const context = await storeToken(
    await axeContext(browser, { colorScheme: scheme, viewport: { width: 1440, height: 900 } }),
    TOKEN,
  )
  const page = await context.newPage()
  page.setDefaultTimeout(10_000)
  await page.goto(`${env.url}${pageUrl}`)
  await page.getByTestId('compare-row').waitFor()
  return page
}

const cell = (page: Page, metric: string, side: 'primary' | 'shadow') =>
  page.locator(`tr[data-metric="${metric}"] td[data-side="${side}"]`).textContent()

describe('the Compare page', () => {
  it('shows the pair row side by side with the figures of the API', async () => {
    const page = await open('light')
    const row = api.rows[0]!
    expect(api.rows).toHaveLength(1)
    expect(await page.getByTestId('compare-row').getByRole('heading').textContent()).toBe(
      'checkout: openai/gpt-4o vs openai/gpt-4o-mini',
    )
    expect([await cell(page, 'requests', 'primary'), await cell(page, 'requests', 'shadow')]).toEqual(['6', '6'])
    expect([await cell(page, 'error_rate', 'primary'), await cell(page, 'error_rate', 'shadow')]).toEqual([
      '0.0% (0)',
      '16.7% (1)',
    ])
    expect(await cell(page, 'cost_per_request', 'shadow')).toBe(usd(row.shadow.cost_per_request_usd))
    expect(await cell(page, 'projected', 'primary')).toBe(usd(row.primary.projected_monthly_usd))
    expect(await cell(page, 'output_tokens', 'primary')).toBe('36 (6.0 / request)')
    expect(await cell(page, 'ttft', 'shadow')).toBe('–')
    const figure = (k: string) => page.locator(`[data-figure="${k}"]`).textContent()
    expect([await figure('pairs'), await figure('exact'), await figure('json')]).toEqual(['5', pct(0.6), '–'])
    expect(await page.getByTestId('shadow-cost').textContent()).toBe(usd(api.totals.shadow_cost_usd))
    expect(await page.getByTestId('billed-cost').textContent()).toBe(usd(api.totals.billed_cost_usd))
    expect(await page.getByTestId('compare-totals').textContent()).toContain(`${count(6)} sampled requests`)
    await page.context().close()
  }, 30_000)

  it('the drill-down lists the paired traces with both answers and a link to each waterfall', async () => {
    const page = await open('light')
    await page.getByTestId('drill').click()
    const pairs = page.getByTestId('pair')
    await expect.poll(() => pairs.count()).toBe(6)
    expect(new URL(page.url()).searchParams.get('pair')).toBe(
      JSON.stringify(['checkout', 'support-bot', 'openai/gpt-4o', 'openai/gpt-4o-mini']),
    )
    const verdicts = await page.getByTestId('agreed').allTextContents()
    expect(verdicts.sort()).toEqual([
      'different',
      'different',
      'not compared',
      'same answer',
      'same answer',
      'same answer',
    ])
    const differ = pairs.filter({ has: page.getByText('different', { exact: true }) }).first()
    const outputs = (side: string) => differ.locator(`[data-side="${side}"] [data-testid="output"]`).textContent()
    expect([await outputs('primary'), await outputs('shadow')]).toEqual([
      'Hello from the mock upstream.',
      'A different answer',
    ])
    const failed = pairs.filter({ has: page.getByText('not compared', { exact: true }) })
    expect(await failed.locator('[data-side="shadow"] [data-status]').textContent()).toBe('error 500')
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'compare.png'), fullPage: true })
    const id = await differ.getAttribute('data-trace')
    expect(traces.map((t) => t.trace_id)).toContain(id)
    await differ.getByRole('link').click()
    await page.getByTestId('waterfall').waitFor()
    expect(new URL(page.url()).pathname).toBe(`/traces/${id}`)
    // The trace holds both sides: the answering attempt and, apart, the shadow call.
    expect([await page.getByTestId('wf-attempt').count(), await page.getByTestId('wf-shadow').count()]).toEqual([1, 1])
    await page.context().close()
  }, 30_000)

  it('CSV export carries the row; the workflow filter goes to the URL', async () => {
    const page = await open('light')
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ])
    const [header, line] = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\n')
    const at = header!.split(',').indexOf('shadow_errors')
    expect(line!.split(',').slice(0, 3)).toEqual(['checkout', 'support-bot', '6'])
    expect(line!.split(',')[at]).toBe('1')
    await page.getByLabel('Workflow').selectOption('checkout')
    expect(new URL(page.url()).searchParams.get('workflow')).toBe('checkout')
    await page.getByTestId('compare-row').waitFor()
    await page.context().close()
  }, 30_000)

  it('no serious axe-core violation with the drill-down open, in either theme', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const page = await open(scheme)
      await page.getByTestId('drill').click()
      await expect.poll(() => page.getByTestId('pair').count()).toBe(6)
      expect(await axeViolations(page), scheme).toEqual([])
      await page.context().close()
    }
  }, 60_000)
})
