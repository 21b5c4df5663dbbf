import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { buildExplorerIfStale } from '../gateway/src/explorer/build.ts'
import { useGateway } from './harness.ts'
import { launchBrowser, SCREENSHOT_DIR, storeToken } from './browser.ts'
import { axeContext, axeViolations } from './axe.ts'
import { clock } from '../ui/src/lib/format.ts'
import { FAILING_MINUTES, FAILURES_PER_MINUTE, incidentConfig, replayIncident, type Replay } from './incident-replay.ts'

/**
 * The incidents page as an on-call engineer meets it: a replayed incident (the primary failing 40%
 * of its attempts for four minutes, the backup answering) must be named on the primary, with the
 * minutes it started and recovered, and what became of the requests; the backup is not blamed.
 */
const TOKEN = 'incidents-e2e-token'
const env = useGateway(incidentConfig, {
  adminToken: TOKEN,
  faults: true,
  beforeStart: async () => {
    await buildExplorerIfStale({ info: () => undefined, warn: () => undefined })
  },
})
let browser: Browser
let page: Page
let replay: Replay
const MIN = 60_000
const failed = FAILING_MINUTES.length * FAILURES_PER_MINUTE + 1
const attempts = FAILING_MINUTES.length * 25 + 1

const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 100 })
/**
 * The minute as the page prints it (ui's clock(), in the browser's time zone: the test's, here), with
 * the date in front once the day has changed. Taken before the page loads and after it is read, so a
 * run that crosses midnight (CI did) still knows what the page may say.
 */
const shown = (ms: number) => clock(new Date(ms))

beforeAll(async () => {
  replay = await replayIncident(env, TOKEN)
  await env.gw.flushSpans()
  browser = await launchBrowser()
  const context = await storeToken(await browser.newContext({ viewport: { width: 1440, height: 900 } }), TOKEN)
  page = await context.newPage()
  page.setDefaultTimeout(15_000)
}, 120_000)

afterAll(async () => {
  await browser?.close()
})

describe('incidents page in headless Chromium', () => {
  it('names the primary with its attempt error rate, since and recovered minutes, saved and lost requests', async () => {
    const from = new Date(replay.start).toISOString()
    const to = new Date(replay.start + 15 * MIN).toISOString()
    const [since, recovered] = [replay.start + 2 * MIN, replay.start + 6 * MIN]
    const before = [shown(since), shown(recovered)]
    await page.goto(`${env.url}/incidents?${new URLSearchParams({ from, to })}`)
    const cards = page.getByTestId('incident')
    await poll(() => cards.count()).toBe(1)
    const card = cards.first()
    expect(await card.getByTestId('incident-target').textContent()).toBe('openai / gpt-4o')
    expect(await card.getByTestId('incident-status').textContent()).toBe('Resolved')
    const rate = parseFloat((await card.getByTestId('incident-error-rate').textContent())!)
    expect(Math.abs(rate - (100 * failed) / attempts)).toBeLessThan(1)
    const read = [
      await card.getByTestId('incident-since').textContent(),
      await card.getByTestId('incident-recovered').textContent(),
    ]
    const after = [shown(since), shown(recovered)]
    expect([before[0], after[0]]).toContain(read[0])
    expect([before[1], after[1]]).toContain(read[1])
    expect(read[0]).toMatch(/\b\d\d:\d\d$/)
    expect(await card.getByTestId('saved-by-fallback').textContent()).toBe(String(failed - 1))
    expect(await card.getByTestId('lost').textContent()).toBe('1')
    expect(await card.getByTestId('incident-types').textContent()).toBe(`5xx server errors ${failed}`)
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'incidents.png'), fullPage: true })
  })

  it('the health table carries the failures on the primary; the backup shows only its own one', async () => {
    const rows = page.getByTestId('incident-targets').locator('tbody tr')
    await poll(() => rows.count()).toBe(2)
    const cells = async (i: number) => (await rows.nth(i).locator('td').allTextContents()).slice(0, 4)
    expect(await cells(0)).toEqual(['openai', 'gpt-4o', '251', String(failed)])
    expect(await cells(1)).toEqual(['backup', 'gpt-4o-mini', String(failed), '1'])
    const key = page.getByTestId('incident-keys').locator('tbody tr')
    expect((await key.first().locator('td').allTextContents()).slice(1, 3)).toEqual(['292', String(failed + 1)])
  })

  it('the failing-requests link opens the trace list on the primary, errors only, from the incident start', async () => {
    await page.getByTestId('failing-traces').click()
    await poll(() => new URL(page.url()).pathname).toBe('/traces')
    const q = new URL(page.url()).searchParams
    expect([q.get('provider'), q.get('model'), q.get('status'), q.get('from')]).toEqual([
      'openai',
      'gpt-4o',
      'error',
      new Date(replay.start + 2 * MIN).toISOString(),
    ])
  })

  it("the trace list's Outcome filter keeps the one lost request", async () => {
    const from = new Date(replay.start).toISOString()
    const to = new Date(replay.start + 15 * MIN).toISOString()
    await page.goto(`${env.url}/traces?${new URLSearchParams({ from, to, refresh: 'off' })}`)
    await page.getByLabel('Outcome').selectOption('lost')
    await page.getByRole('button', { name: 'Apply' }).click()
    await poll(() => new URL(page.url()).searchParams.get('result')).toBe('lost')
    await poll(() => page.getByTestId('traces-table').locator('tbody tr').count()).toBe(1)
  })

  for (const scheme of ['light', 'dark'] as const)
    it(`with an incident on it, the page has no serious or critical axe-core violation (${scheme})`, async () => {
      const context = await storeToken(await axeContext(browser, { colorScheme: scheme }), TOKEN)
      const p = await context.newPage()
      try {
        const from = new Date(replay.start).toISOString()
        const to = new Date(replay.start + 15 * MIN).toISOString()
        await p.goto(`${env.url}/incidents?${new URLSearchParams({ from, to, refresh: 'off' })}`)
        await p.getByTestId('incident').waitFor()
        await p.waitForTimeout(300)
        expect(await axeViolations(p)).toEqual([])
      } finally {
        await context.close()
      }
    })

  it('the overview charts what became of the requests beside the error classes', async () => {
    await page.goto(`${env.url}/?range=1h&refresh=off`)
    const panel = page.getByTestId('overview-results')
    await panel.locator('.u-legend').waitFor()
    const legend = await panel.locator('.u-legend').textContent()
    for (const label of ['ok on first try', 'saved by retry', 'saved by fallback', 'lost (error returned)'])
      expect(legend).toContain(label)
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'overview-incident.png'), fullPage: true })
  })

  it('auto-refresh refetches the incidents; paused, it stops', async () => {
    let calls = 0
    page.on('request', (r) => void (new URL(r.url()).pathname === '/api/incidents' && calls++))
    await page.goto(`${env.url}/incidents?range=1h&refresh=5s`)
    await poll(() => page.getByTestId('result-totals').textContent()).toContain('1 lost')
    await poll(() => calls).toBeGreaterThanOrEqual(2)
    await page.getByRole('button', { name: 'Pause auto-refresh' }).click()
    expect(new URL(page.url()).searchParams.get('refresh')).toBe('off')
    const paused = calls
    await new Promise((r) => setTimeout(r, 5_500))
    expect(calls).toBe(paused)
  })
})
