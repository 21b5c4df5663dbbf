import { afterAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { buildExplorerIfStale } from '../gateway/src/explorer/build.ts'
import { launchBrowser, storeToken } from './browser.ts'
import { axeContext, axeViolations } from './axe.ts'
import type { BreakEvenReport } from '@tracegate/schemas'
import { errorOf, serverSpan, tracegate, useGateway } from './harness.ts'

/**
 * The break-even report on real traffic: spend from the spans as a monthly run rate, a managed
 * gateway's fee on it against self-hosting's overhead, the verdict; as JSON, CSV and the CLI's line.
 */
const TOKEN = 'break-even-token'
const env = useGateway((mock) => ({ providers: { openai: { base_url: `${mock.url}/v1` } } }), {
  adminToken: TOKEN,
  beforeStart: async () => {
    await buildExplorerIfStale({ info: () => undefined, warn: () => undefined })
  },
})
let browser: Browser | undefined
afterAll(async () => {
  await browser?.close()
})
const DAY = 86_400_000
const to = new Date(Math.ceil(Date.now() / DAY) * DAY)
const from = new Date(to.getTime() - DAY)
const range = { from: from.toISOString(), to: to.toISOString() }
let spend = 0

const report = (extra: Record<string, string> = {}) =>
  fetch(`${env.url}/api/reports/break-even?${new URLSearchParams({ ...range, ...extra })}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  })

describe('break-even report', () => {
  it("this period's spend as a monthly run rate, against self-hosting's overhead with the analysis's defaults", async () => {
    for (let i = 0; i < 3; i++) spend += serverSpan(await env.trace(await env.chat('gpt-4o'))).cost_usd!
    await env.gw.flushSpans()
    const r = (await (await report()).json()) as BreakEvenReport
    const monthly = spend * 30.4375
    expect(r.spend_usd).toBeCloseTo(spend, 12)
    expect([r.days, r.priced_requests, r.unpriced_requests]).toEqual([1, 3, 0])
    expect(r.monthly_spend_usd).toBeCloseTo(monthly, 10)
    expect(r.managed_fee_usd_month).toBeCloseTo(monthly * 0.055, 10)
    expect([r.fee_pct, r.infra_usd_month, r.eng_hours_month, r.hourly_usd, r.self_host_usd_month]).toEqual([
      5.5, 200, 8, 120, 1160,
    ])
    expect(r.break_even_spend_usd_month).toBeCloseTo(1160 / 0.055, 6)
    expect(r.verdict).toBe('managed')
    expect(r.saving_usd_month).toBeCloseTo(1160 - monthly * 0.055, 10)
    expect(r.summary).toMatch(
      /a managed gateway saves \$1,1\d\d\.\d\d a month, until spend passes \$21,090\.91 a month\.$/,
    )
  })

  it('every figure is editable; CSV carries one row; the CLI prints the verdict', async () => {
    const cheap = (await (
      await report({ fee_pct: '50', infra_usd_month: '0', eng_hours_month: '0' })
    ).json()) as BreakEvenReport
    expect([cheap.verdict, cheap.self_host_usd_month, cheap.break_even_spend_usd_month]).toEqual(['self_host', 0, 0])
    const csv = await (await report({ format: 'csv' })).text()
    const [header, row] = csv.trim().split('\n')
    const at = header!.split(',').indexOf('self_host_usd_month')
    expect(at).toBeGreaterThan(0)
    expect(row!.split(',')[at]).toBe('1160')
    const { stdout } = await tracegate([
      'report',
      'break-even',
      '--from',
      range.from,
      '--to',
      range.to,
      '--url',
      env.url,
      '--token',
      TOKEN,
      '--fee-pct',
      '50',
      '--infra-usd-month',
      '0',
      '--eng-hours-month',
      '0',
    ])
    expect(stdout).toMatch(/^At \$\d+\.\d\d a month of provider spend, a 50% managed fee .* self-hosting saves /)
  })

  it('a bad figure is a 400 naming it', async () => {
    const res = await report({ fee_pct: '0' })
    expect(res.status).toBe(400)
    expect((await errorOf(res)).param).toBe('fee_pct')
  })
})

describe('break-even page', () => {
  it('shows the verdict and the figures; editing a figure recomputes it; no serious axe violation', async () => {
    browser = await launchBrowser()
    const context = await storeToken(await axeContext(browser), TOKEN)
    const page = await context.newPage()
    const day = (d: Date) => d.toISOString().slice(0, 10)
    await page.goto(`${env.url}/break-even?from=${day(from)}&to=${day(to)}`)
    const api = (await (await report()).json()) as BreakEvenReport
    await expect
      .poll(() => page.getByTestId('verdict').textContent(), { timeout: 10_000 })
      .toContain('A managed gateway is cheaper')
    expect(await page.getByTestId('self-host').textContent()).toContain('$1,160.00 a month')
    expect(await page.getByTestId('break-even').textContent()).toBe('$21,090.91')
    expect(await page.getByTestId('summary').textContent()).toBe(api.summary)
    expect(await axeViolations(page)).toEqual([])
    await page.getByTestId('input-fee_pct').fill('50')
    await page.getByTestId('input-fee_pct').dispatchEvent('change')
    await page.getByTestId('input-infra_usd_month').fill('0')
    await page.getByTestId('input-infra_usd_month').dispatchEvent('change')
    await page.getByTestId('input-eng_hours_month').fill('0')
    await page.getByTestId('input-eng_hours_month').dispatchEvent('change')
    await expect
      .poll(() => page.getByTestId('verdict').textContent(), { timeout: 10_000 })
      .toContain('Self-hosting is cheaper')
    expect(new URL(page.url()).searchParams.get('fee_pct')).toBe('50')
  }, 60_000)
})
