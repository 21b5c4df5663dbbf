import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { calcPrice } from '@pydantic/genai-prices'
import type { Browser, Page } from 'playwright-core'
import type { QueryResponse } from '@tracegate/schemas'
import { buildExplorerIfStale } from '../gateway/src/explorer/build.ts'
import { useGateway } from './harness.ts'
import { launchBrowser, SCREENSHOT_DIR } from './browser.ts'

/**
 * The explorer end to end: known traffic through the real gateway with the openai SDK, then the
 * pages in headless Chromium must show exactly that traffic. The gateway runs with an admin
 * token, so the browser first has to get past the token prompt.
 */
const TOKEN = 'e2e-admin-token'
const env = useGateway(
  (mock) => ({
    providers: {
      openai: { base_url: `${mock.url}/v1` },
      flaky: { type: 'openai-compatible', base_url: `${mock.url}/flaky/v1` },
    },
    models: [
      {
        name: 'retrying',
        retries: 1,
        backoff: { initial_ms: 20, max_ms: 20, multiplier: 1, jitter: 0 },
        targets: [{ provider: 'openai', model: 'gpt-4o' }],
      },
      {
        name: 'resilient',
        retries: 0,
        targets: [
          { provider: 'flaky', model: 'flaky-model' },
          { provider: 'openai', model: 'gpt-4o-mini' },
        ],
      },
    ],
  }),
  {
    adminToken: TOKEN,
    // Lets the last test stage a storage outage.
    faults: true,
    beforeStart: async () => {
      await buildExplorerIfStale({ info: () => undefined, warn: () => undefined })
    },
  },
)
let browser: Browser
let page: Page

const sent = {
  requests: 0,
  errors: 0,
  cost: 0,
  byTeam: { growth: 0, search: 0 } as Record<string, number>,
  retryTrace: '',
  fallbackTrace: '',
}

async function traffic(): Promise<void> {
  const client = env.openai('sk-e2e-byok')
  const call = async (model: string, team: string, workflow: string, extra: Record<string, string> = {}) => {
    sent.requests++
    try {
      const { data, response } = await client.chat.completions
        .create(
          { model, messages: [{ role: 'user', content: `${workflow} for ${team}` }] },
          { headers: { 'x-tracegate-team': team, 'x-tracegate-workflow': workflow, ...extra } },
        )
        .withResponse()
      const u = data.usage!
      const cost = calcPrice(
        {
          input_tokens: u.prompt_tokens,
          output_tokens: u.completion_tokens,
          cache_read_tokens: u.prompt_tokens_details?.cached_tokens ?? 0,
        },
        data.model,
        { providerId: 'openai' },
      )!.total_price
      sent.cost += cost
      sent.byTeam[team]! += cost
      return response.headers.get('x-tracegate-trace-id')!
    } catch (err) {
      expect((err as { status?: number }).status).toBe(503)
      sent.errors++
      return ''
    }
  }
  for (let i = 0; i < 4; i++)
    await call('gpt-4o-mini', 'growth', 'summarize', { 'x-tracegate-meta-ticket': `T-${i % 2}` })
  for (let i = 0; i < 3; i++) await call('gpt-4o', 'search', 'classify')
  env.mock.fault({ model: 'gpt-4o', status: 500, times: 1 })
  sent.retryTrace = await call('retrying', 'growth', 'chat')
  sent.fallbackTrace = await call('resilient', 'search', 'chat')
  for (let i = 0; i < 3; i++) await call('flaky/flaky-model', 'search', 'chat')
  await env.trace(sent.retryTrace, 3)
  await env.trace(sent.fallbackTrace, 3)
  // The rollup is filled by the same insert; wait until every request is counted there.
  for (let i = 0; i < 100; i++) {
    const res = await apiQuery({ metrics: ['requests'] })
    if (res.rows[0]?.requests === sent.requests) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('requests never reached the rollup')
}

async function apiQuery(body: object): Promise<QueryResponse> {
  const now = Date.now()
  const res = await env.post(
    '/api/query',
    { from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 120_000).toISOString(), ...body },
    { authorization: `Bearer ${TOKEN}` },
  )
  return (await res.json()) as QueryResponse
}

/** Pages load their data after navigation; give a slow CI machine time before failing. */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 10_000, interval: 100 })

const shot = (name: string) => page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true })
const title = async (testid: string) => Number(await page.getByTestId(testid).getAttribute('title'))

beforeAll(async () => {
  env.mock.fault({ model: 'flaky-model', status: 503 })
  await traffic()
  browser = await launchBrowser()
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1440, height: 900 } })
  page = await context.newPage()
  page.setDefaultTimeout(10_000)
}, 120_000)

afterAll(async () => {
  await browser?.close()
})

describe('explorer in headless Chromium', () => {
  it('the API refuses requests without the admin token, and the UI asks for it', async () => {
    for (const path of ['/api/traces', '/api/tail', '/api/meta-keys', '/api/reports/cost'])
      expect((await fetch(`${env.url}${path}`)).status, path).toBe(401)
    expect(
      (
        await fetch(`${env.url}/api/query`, {
          method: 'POST',
          body: '{}',
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(401)
    await page.goto(`${env.url}/?range=1h`)
    await page.getByLabel('Admin token').fill(TOKEN)
    await shot('token-prompt')
    await page.getByRole('button', { name: 'Continue' }).click()
    await poll(() => page.getByTestId('kpi-requests-value').textContent()).toBe(String(sent.requests))
  })

  it('overview: request count, error rate and cost equal the traffic sent', async () => {
    await page.goto(`${env.url}/?range=1h`)
    await poll(() => page.getByTestId('kpi-requests-value').textContent()).toBe(String(sent.requests))
    expect(sent.errors).toBe(3)
    expect(await page.getByTestId('kpi-error_rate-value').textContent()).toBe(
      `${((sent.errors / sent.requests) * 100).toFixed(1)}%`,
    )
    expect(await title('kpi-cost_usd-value')).toBeCloseTo(sent.cost, 12)
    await poll(() => page.getByTestId('top-team').getByRole('link', { name: 'growth' }).count()).toBe(1)
    await page.locator('.u-over').first().waitFor()
    await shot('overview')
  })

  it('explore grouped by team shows both teams with their exact costs', async () => {
    await page.goto(`${env.url}/explore?range=1h&group=team&m=requests,cost_usd`)
    const table = page.getByTestId('explore-table')
    await table.locator('tbody tr').nth(1).waitFor()
    for (const team of ['growth', 'search']) {
      const row = table.locator('tbody tr', { has: page.getByRole('button', { name: team, exact: true }) })
      expect(Number(await row.locator('td[data-col="cost_usd"]').getAttribute('title'))).toBeCloseTo(
        sent.byTeam[team]!,
        12,
      )
    }
    expect(await table.locator('tbody tr').count()).toBe(2)
    // Metadata names seen in the range are offered as dimensions.
    await poll(() => page.getByLabel('Add a group-by dimension').locator('option[value="meta:ticket"]').count()).toBe(1)
    // Clicking a value filters on it, and the filter lands in the URL.
    await table.getByRole('button', { name: 'growth', exact: true }).click()
    await poll(() => table.locator('tbody tr').count()).toBe(1)
    expect(page.url()).toContain('f=team%3Aeq%3Agrowth')
    await shot('explore')
  })

  it('the trace with a retry shows two attempts in its waterfall, the second with its reason', async () => {
    await page.goto(`${env.url}/traces?range=1h&team=growth`)
    await page.locator(`tr[data-trace="${sent.retryTrace}"]`).waitFor()
    expect(await page.getByTestId('traces-table').locator('tbody tr').count()).toBe(5)
    await shot('traces')
    await page.locator(`tr[data-trace="${sent.retryTrace}"] a`).click()
    await page.getByTestId('waterfall').waitFor()
    expect(await page.getByTestId('wf-attempt').count()).toBe(2)
    expect(await page.getByTestId('attempt-count').textContent()).toBe('2')
    expect(await page.getByTestId('wf-attempt').nth(1).textContent()).toContain('retry: 500')
    await shot('trace-retry')
    await page.goto(`${env.url}/traces/${sent.fallbackTrace}`)
    await page.getByTestId('waterfall').waitFor()
    expect(await page.getByTestId('wf-attempt').nth(1).textContent()).toContain('fallback')
    await shot('trace-fallback')
  })

  it('meta-keys lists the metadata names sent, and a meta grouping splits them', async () => {
    const now = Date.now()
    const auth = { headers: { authorization: `Bearer ${TOKEN}` } }
    const keys = await (
      await fetch(
        `${env.url}/api/meta-keys?from=${new Date(now - 3_600_000).toISOString()}&to=${new Date(now + 60_000).toISOString()}`,
        auth,
      )
    ).json()
    expect(keys).toEqual({ keys: ['ticket'] })
    const res = await apiQuery({
      group_by: ['meta:ticket'],
      metrics: ['requests'],
      filters: [{ dimension: 'workflow', op: 'eq', value: 'summarize' }],
    })
    expect(Object.fromEntries(res.rows.map((r) => [r['meta:ticket'], r.requests]))).toEqual({ 'T-0': 2, 'T-1': 2 })
  })

  it('incidents: health per attempt names the failing provider and model; four attempts are too few for an incident', async () => {
    await page.goto(`${env.url}/incidents?range=1h`)
    const first = page.getByTestId('incident-targets').locator('tbody tr').first()
    await poll(() => first.locator('td').nth(1).textContent()).toBe('flaky-model')
    const text = await first.textContent()
    expect(text).toContain('100.0%')
    expect(text).toContain('5xx server errors 4')
    expect(await page.getByTestId('no-incidents').textContent()).toContain('20 attempts a minute')
    await shot('incidents-quiet')
  })

  it('cost report: the CSV download has a row per team and a total that match', async () => {
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
    await page.goto(`${env.url}/reports?from=${day(Date.now())}&to=${day(Date.now() + 86_400_000)}&group_by=team`)
    await page.getByTestId('report-total').waitFor()
    await shot('reports')
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ])
    const lines = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(','))
    const header = lines[0]!
    const col = (name: string) => header.indexOf(name)
    const byGroup = Object.fromEntries(lines.filter((l) => l[0] === 'group').map((l) => [l[col('team')], l]))
    const total = lines.filter((l) => l[0] === 'total')
    expect(total).toHaveLength(1)
    expect(Number(byGroup.growth![col('cost_usd')])).toBeCloseTo(sent.byTeam.growth!, 9)
    expect(Number(byGroup.search![col('cost_usd')])).toBeCloseTo(sent.byTeam.search!, 9)
    expect(total[0]![col('requests')]).toBe(String(sent.requests))
    expect(Number(total[0]![col('cost_usd')])).toBeCloseTo(sent.cost, 9)
  })

  it('live tail shows a request as it arrives', async () => {
    await page.goto(`${env.url}/live`)
    await poll(() => page.getByTestId('tail-state').textContent()).toBe('live')
    const client = env.openai('sk-e2e-byok')
    await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'tail me' }] },
      { headers: { 'x-tracegate-team': 'tail-team' } },
    )
    await poll(() => page.getByTestId('tail-table').locator('tbody tr', { hasText: 'tail-team' }).count()).toBe(1)
    await shot('live')
  })

  it('when ClickHouse refuses spans, every page says so instead of silently missing requests', async () => {
    const fault = (storage: string) => env.post('/debug/faults', { storage }, { authorization: `Bearer ${TOKEN}` })
    // Start from an empty backlog, so the banner's count is exactly this test's spans.
    await poll(async () => (await env.readyz()).body.spans.pending).toBe(0)
    expect((await fault('detached')).status).toBe(200)
    try {
      const client = env.openai('sk-e2e-byok')
      for (let i = 0; i < 4; i++) {
        await client.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'during the outage' }],
        })
        await new Promise((r) => setTimeout(r, 150))
      }
      await page.goto(`${env.url}/traces?range=1h`)
      // Four requests, a request span and an attempt span each; /readyz names the missing table (a 503 the banner reads all the same).
      await poll(() => page.getByTestId('storage-banner').textContent()).toBe(
        'The spans table is missing in ClickHouse: 8 spans wait in the spool and appear here once it is back.',
      )
      // Reads fail too (the table is gone): a 503 naming the store, not a bare 500.
      await poll(() => page.getByRole('alert').textContent()).toContain(
        'Could not load: the span store could not answer',
      )
      await shot('storage-banner')
    } finally {
      await fault('attached')
    }
  })
})
