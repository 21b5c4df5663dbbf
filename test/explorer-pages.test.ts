import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { QueryResponse, TraceResponse } from '@tracegate/schemas'
import { buildExplorerIfStale } from '../gateway/src/explorer/build.ts'
import { dateTime, usd } from '../ui/src/lib/format.ts'
import { serverSpan, useGateway } from './harness.ts'
import { launchBrowser, SCREENSHOT_DIR } from './browser.ts'

/**
 * The explorer as its users expect it, in headless Chromium against the real gateway: unpriced
 * requests never read as $0, one format for times and money, hover values and click-through on
 * charts, top groups plus "other", exports, the trace list's columns and filters, auto-refresh,
 * links that pin the range, dark mode, layout at two screen sizes, the keyboard, and axe-core.
 */
const env = useGateway(
  (mock) => ({
    providers: {
      openai: { base_url: `${mock.url}/v1` },
      flaky: { type: 'openai-compatible', base_url: `${mock.url}/flaky/v1` },
    },
  }),
  {
    beforeStart: async () => {
      await buildExplorerIfStale({ info: () => undefined, warn: () => undefined })
    },
  },
)

interface Sent {
  team: string
  user: string
  model: string
  span: TraceResponse['spans'][number]
}
const sent: Sent[] = []
let browser: Browser
let context: BrowserContext
let page: Page

async function call(model: string, team: string, user: string): Promise<void> {
  const client = env.openai('sk-explorer-pages')
  const headers = { 'x-tracegate-team': team, 'x-tracegate-user': user }
  let id: string
  try {
    const { response } = await client.chat.completions
      .create({ model, messages: [{ role: 'user', content: `${team} asks ${model}` }] }, { headers })
      .withResponse()
    id = response.headers.get('x-tracegate-trace-id')!
  } catch (err) {
    expect((err as { status?: number }).status).toBe(503)
    id = (err as { headers: Headers }).headers.get('x-tracegate-trace-id')!
  }
  sent.push({ team, user, model, span: serverSpan(await env.trace(id)) })
}

async function traffic(): Promise<void> {
  for (let i = 0; i < 3; i++) await call('gpt-4o-mini', 'growth', 'alice')
  for (let i = 0; i < 2; i++) await call('gpt-4o', 'search', 'bob')
  // No price for this model: its requests must show as unpriced, never $0.
  for (let i = 0; i < 2; i++) await call('mystery-model', 'ops', 'carol')
  for (let i = 0; i < 2; i++) await call('flaky/flaky-model', 'ops', 'carol')
  await call('gpt-4o-mini', 'billing', 'dave')
  for (let i = 0; i < 100; i++) {
    const res = await apiQuery({ metrics: ['requests'] })
    if (res.rows[0]?.requests === sent.length) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('requests never reached the rollup')
}

const range = () => ({
  from: new Date(Date.now() - 3_600_000).toISOString(),
  to: new Date(Math.ceil((Date.now() + 1) / 60_000) * 60_000).toISOString(),
})
async function apiQuery(body: object): Promise<QueryResponse> {
  return (await (await env.post('/api/query', { ...range(), ...body })).json()) as QueryResponse
}

const poll = <T>(fn: () => Promise<T> | T, timeout = 10_000) => expect.poll(fn, { timeout, interval: 100 })
const shot = (name: string) => page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true })
const rows = (testid: string) => page.getByTestId(testid).locator('tbody tr')
const costOf = (team: string) => sent.filter((s) => s.team === team).reduce((s, r) => s + (r.span.cost_usd ?? 0), 0)

beforeAll(async () => {
  env.mock.fault({ model: 'flaky-model', status: 503 })
  await traffic()
  browser = await launchBrowser()
  context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 800 } })
  page = await context.newPage()
  page.setDefaultTimeout(10_000)
}, 120_000)

afterAll(async () => {
  await browser?.close()
})

describe('unpriced requests never read as $0', () => {
  it('the overview says how many requests are unpriced next to a cost of only the priced ones', async () => {
    await page.goto(`${env.url}/?range=1h&refresh=off`)
    await poll(() => page.getByTestId('kpi-cost_usd-note').textContent()).toBe('2 requests unpriced')
    const priced = sent.reduce((s, r) => s + (r.span.cost_usd ?? 0), 0)
    expect(await page.getByTestId('kpi-cost_usd-value').textContent()).toBe(usd(priced))
    await page.locator('.u-over').first().waitFor()
    await shot('overview')
  })

  it('the trace list marks unpriced rows, and a trace names its cost source in words', async () => {
    await page.goto(`${env.url}/traces?range=1h&refresh=off&team=ops`)
    await poll(() => rows('traces-table').count()).toBe(4)
    const unpriced = page.locator('tr.unpriced')
    expect(await unpriced.count()).toBe(2)
    expect(await unpriced.first().locator('td[data-col="cost"]').textContent()).toBe('unpriced')
    await unpriced.first().locator('a').click()
    await poll(() => page.getByTestId('trace-cost').textContent()).toBe('unpriced (unpriced model)')
    const failed = sent.find((s) => s.model.startsWith('flaky'))!
    await page.goto(`${env.url}/traces/${failed.span.trace_id}`)
    await poll(() => page.getByTestId('trace-cost').textContent()).toBe('– (no usage reported)')
  })

  it('the cost report says how many requests are unpriced and marks their team', async () => {
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
    await page.goto(`${env.url}/reports?from=${day(Date.now())}&to=${day(Date.now() + 86_400_000)}&group_by=team`)
    await poll(() => page.getByTestId('report-unpriced').textContent()).toContain('2 requests unpriced:')
    const ops = rows('report-table').filter({ hasText: 'ops' })
    expect(await ops.locator('td[data-col="cost_usd"]').textContent()).toBe('$0.00 2 requests unpriced')
    await shot('reports')
  })
})

describe('trace list', () => {
  it('shows key, team and user, times with their zone, money and error types for humans', async () => {
    await page.goto(`${env.url}/traces?range=1h&refresh=off&team=growth`)
    await poll(() => rows('traces-table').count()).toBe(3)
    const first = rows('traces-table').first()
    const newest = sent.filter((s) => s.team === 'growth').at(-1)!.span
    expect(await first.locator('td[data-col="user"]').textContent()).toBe('alice')
    expect(await first.locator('td[data-col="team"]').textContent()).toBe('growth')
    expect(await first.locator('td[data-col="key"]').textContent()).toBe(newest.key_name)
    expect(newest.key_name).toMatch(/…?\w{4}$/)
    expect(await first.locator('td').first().textContent()).toBe(dateTime(newest.start_time))
    expect(dateTime(newest.start_time)).toMatch(/^\d\d [A-Z][a-z]{2} \d{4}, \d\d:\d\d:\d\d \S+$/)
    expect(await first.locator('td[data-col="cost"]').textContent()).toBe(usd(newest.cost_usd))
    await page.goto(`${env.url}/traces?range=1h&refresh=off&team=ops&status=error`)
    await poll(() => rows('traces-table').count()).toBe(2)
    expect(await rows('traces-table').first().locator('td[data-col="error"]').textContent()).toBe('HTTP 503')
  })

  it('filters on error type, status, minimum cost and minimum latency from the form', async () => {
    await page.goto(`${env.url}/traces?range=1h&refresh=off`)
    await poll(() => rows('traces-table').count()).toBe(sent.length)
    const form = page.getByRole('form', { name: 'Trace filters' })
    await form.getByLabel('Error type').fill('503')
    await form.getByRole('button', { name: 'Apply' }).click()
    await poll(() => rows('traces-table').count()).toBe(2)
    expect(new URL(page.url()).searchParams.get('error_type')).toBe('503')
    await form.getByLabel('Error type').fill('')
    await form.getByLabel('Status').selectOption('ok')
    // Between a gpt-4o-mini request and a gpt-4o one: only the gpt-4o ones cost that much.
    const threshold =
      (Math.max(...sent.filter((s) => s.model === 'gpt-4o-mini').map((s) => s.span.cost_usd!)) +
        Math.min(...sent.filter((s) => s.model === 'gpt-4o').map((s) => s.span.cost_usd!))) /
      2
    await form.getByLabel('Min cost (USD)').fill(String(threshold))
    await form.getByRole('button', { name: 'Apply' }).click()
    await poll(() => rows('traces-table').locator('td[data-col="team"]').allTextContents()).toEqual([
      'search',
      'search',
    ])
    const q = new URL(page.url()).searchParams
    expect([q.get('status'), q.get('min_cost_usd'), q.get('error_type')]).toEqual(['ok', String(threshold), null])
    await form.getByLabel('Min latency (ms)').fill('3600000')
    await form.getByRole('button', { name: 'Apply' }).click()
    await poll(() => page.getByText('No requests match.').count()).toBe(1)
    await page.getByRole('button', { name: 'Clear filters' }).click()
    await poll(() => rows('traces-table').count()).toBe(sent.length)
    await shot('traces')
  })

  it('auto-refresh shows a new request without a reload, and can be paused', async () => {
    await page.goto(`${env.url}/traces?range=1h&team=latecomer&refresh=5s`)
    await poll(() => page.getByText('No requests match.').count()).toBe(1)
    await call('gpt-4o-mini', 'latecomer', 'erin')
    await poll(() => rows('traces-table').count(), 20_000).toBe(1)
    await page.getByRole('button', { name: 'Pause auto-refresh' }).click()
    expect(new URL(page.url()).searchParams.get('refresh')).toBe('off')
    expect(await page.getByRole('button', { name: 'Resume auto-refresh' }).getAttribute('aria-pressed')).toBe('true')
  })
})

describe('explore', () => {
  const explore = `/explore?range=1h&group=team&m=requests,cost_usd&top=3`
  /** Requests per team, busiest first (ties by name, as they do not matter here). */
  const byTeam = () => {
    const n = new Map<string, number>()
    for (const s of sent) n.set(s.team, (n.get(s.team) ?? 0) + 1)
    return [...n].sort((a, b) => b[1] - a[1])
  }

  it('shows the top groups and one "other" row instead of dropping groups', async () => {
    const teams = byTeam()
    expect(teams.slice(0, 3).map((t) => t[0])).toEqual(['ops', 'growth', 'search'])
    const rest = teams.slice(3)
    expect(rest.length).toBeGreaterThan(0)
    await page.goto(`${env.url}${explore}`)
    const table = page.getByTestId('explore-table')
    await poll(() => table.locator('tbody tr').count()).toBe(4)
    const other = table.locator('tbody tr', { hasText: '(other groups)' })
    expect((await other.locator('td[data-col="requests"]').textContent())!.trim()).toBe(
      String(rest.reduce((s, t) => s + t[1], 0)),
    )
    expect(Number(await other.locator('td[data-col="cost_usd"]').getAttribute('title'))).toBeCloseTo(
      rest.reduce((s, t) => s + costOf(t[0]), 0),
      12,
    )
    const ops = table.locator('tbody tr', { has: page.getByRole('button', { name: 'ops', exact: true }) })
    await poll(() => ops.getByTestId('unpriced-note').textContent()).toBe('2 requests unpriced')
    await shot('explore')
  })

  it('a row opens its traces: the group and the range as trace-list filters', async () => {
    await page.goto(`${env.url}${explore}`)
    const table = page.getByTestId('explore-table')
    const growth = table.locator('tbody tr', { has: page.getByRole('button', { name: 'growth', exact: true }) })
    await growth.getByTestId('group-traces').click()
    await poll(() => rows('traces-table').count()).toBe(3)
    const q = new URL(page.url()).searchParams
    expect(q.get('team')).toBe('growth')
    expect(Date.parse(q.get('to')!) - Date.parse(q.get('from')!)).toBe(3_600_000)
  })

  it('exports the result as CSV and JSON, the other row included', async () => {
    const other = byTeam()
      .slice(3)
      .reduce((s, t) => s + t[1], 0)
    await page.goto(`${env.url}${explore}`)
    await poll(() => rows('explore-table').count()).toBe(4)
    const save = async (name: string) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name }).click()])
      return readFileSync((await download.path())!, 'utf8')
    }
    const csv = (await save('Export CSV'))
      .trim()
      .split('\n')
      .map((l) => l.split(','))
    expect(csv.map((l) => l.slice(0, 3))).toEqual([
      ['other', 'team', 'requests'],
      ['0', 'ops', '4'],
      ['0', 'growth', '3'],
      ['0', 'search', '2'],
      ['1', '', String(other)],
    ])
    expect(csv[0]![3]).toBe('cost_usd')
    expect(Number(csv[2]![3])).toBeCloseTo(costOf('growth'), 12)
    const json = JSON.parse(await save('Export JSON')) as QueryResponse & { top: number }
    expect(json.top).toBe(3)
    expect(json.rows.map((r) => [r.team, r.requests])).toEqual([
      ['ops', 4],
      ['growth', 3],
      ['search', 2],
      ['', other],
    ])
  })

  it('the chart shows values on hover, and a click opens the traces of that group and minute', async () => {
    const bucketed = await apiQuery({ group_by: ['team'], metrics: ['requests'], interval: '1m', top: 3 })
    // Clicked at the top of the plot, the nearest series is the minute's busiest; on a tie, the one drawn
    // first (busiest over the hour). Traffic may straddle minutes: take a minute whose busiest is a named team.
    const order = ['ops', 'growth', 'search']
    const busiestOf = (time: unknown) =>
      bucketed.rows
        .filter((r) => r.time === time)
        .sort((a, b) => Number(b.requests) - Number(a.requests) || rank(a) - rank(b))[0]!
    const rank = (r: QueryResponse['rows'][number]) => (r.other ? 9 : order.indexOf(String(r.team)))
    const busiest = bucketed.rows.map((r) => busiestOf(r.time)).find((r) => !r.other)!
    const team = String(busiest.team)
    const t = Date.parse(String(busiest.time))
    await page.goto(`${env.url}/explore?range=1h&group=team&m=requests&top=3`)
    const over = page.locator('.u-over').first()
    await over.waitFor()
    const box = (await over.boundingBox())!
    const tip = page.getByTestId('chart-tooltip')
    // Walk from the right edge until the tooltip names the minute with the traffic.
    const y = box.y + box.height - 2
    let at = -1
    for (let px = box.width - 1; px > 0 && at < 0; px -= 3) {
      await page.mouse.move(box.x + px, y)
      if ((await tip.getAttribute('data-time', { timeout: 1000 }).catch(() => null)) === String(t / 1000)) at = px
    }
    expect(at).toBeGreaterThan(0)
    expect(await tip.locator(`[data-series="${team}"] strong`).textContent()).toBe(String(busiest.requests))
    expect(await tip.locator('.when').textContent()).toBe(dateTime(t))
    await shot('explore-hover')
    await page.mouse.click(box.x + at, box.y + 2)
    await poll(() => new URL(page.url()).pathname).toBe('/traces')
    const q = new URL(page.url()).searchParams
    expect([Date.parse(q.get('from')!), Date.parse(q.get('to')!)]).toEqual([t, t + 60_000])
    expect(q.get('team')).toBe(team)
    await poll(() => rows('traces-table').count()).toBe(Number(busiest.requests))
  })
})

describe('shareable links', () => {
  it('copy link turns "last 1h" into absolute from/to in the URL', async () => {
    await page.goto(`${env.url}/?range=1h&refresh=off`)
    await page.getByRole('button', { name: 'Copy link' }).click()
    const link = new URL((await page.getByTestId('shared-link').inputValue())!)
    expect(link.searchParams.get('range')).toBeNull()
    const from = Date.parse(link.searchParams.get('from')!)
    const to = Date.parse(link.searchParams.get('to')!)
    expect(to - from).toBe(3_600_000)
    expect(Math.abs(to - Date.now())).toBeLessThan(120_000)
    // The link shows that same range, whenever it is opened.
    await page.goto(link.toString())
    expect(await page.getByRole('button', { name: 'custom' }).getAttribute('aria-pressed')).toBe('true')
  })
})
