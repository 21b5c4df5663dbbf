import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { buildExplorerIfStale } from '../gateway/src/explorer/build.ts'
import { useGateway } from './harness.ts'
import { launchBrowser, SCREENSHOT_DIR } from './browser.ts'
import { axeContext, axeViolations } from './axe.ts'

/**
 * Every page of the explorer, in light and dark mode, at two screen sizes: axe-core finds no
 * serious or critical violation, nothing overlaps or pushes the page sideways, the theme follows the
 * system until one is picked (and the pick survives a reload), and the keyboard reaches the rows.
 */
const env = useGateway(
  (mock) => ({
    providers: { openai: { base_url: `${mock.url}/v1` } },
    models: [
      {
        name: 'retrying',
        retries: 1,
        backoff: { initial_ms: 10, max_ms: 10, multiplier: 1, jitter: 0 },
        targets: [{ provider: 'openai', model: 'gpt-4o' }],
      },
    ],
  }),
  {
    beforeStart: async () => {
      await buildExplorerIfStale({ info: () => undefined, warn: () => undefined })
    },
  },
)
let browser: Browser
let traceId = ''

beforeAll(async () => {
  const client = env.openai('sk-explorer-a11y')
  const headers = { 'x-tracegate-team': 'growth', 'x-tracegate-workflow': 'summarize', 'x-tracegate-user': 'alice' }
  for (let i = 0; i < 3; i++)
    await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
      { headers },
    )
  env.mock.fault({ model: 'gpt-4o', status: 500, times: 1 })
  const { response } = await client.chat.completions
    .create({ model: 'retrying', messages: [{ role: 'user', content: 'retry me' }] }, { headers })
    .withResponse()
  traceId = response.headers.get('x-tracegate-trace-id')!
  await env.trace(traceId, 3)
  browser = await launchBrowser()
}, 120_000)

afterAll(async () => {
  await browser?.close()
})

/** Each page with what shows once its data is in. */
const PAGES: Array<[string, string, (p: Page) => Promise<unknown>]> = [
  ['overview', '/?range=1h&refresh=off', (p) => p.getByTestId('kpi-requests-value').filter({ hasText: '4' }).waitFor()],
  ['explore', '/explore?range=1h&group=team', (p) => p.getByTestId('explore-table').waitFor()],
  ['traces', '/traces?range=1h&refresh=off', (p) => p.getByTestId('traces-table').locator('tbody tr').nth(3).waitFor()],
  ['trace', '/traces/{trace}', (p) => p.getByTestId('waterfall').waitFor()],
  ['incidents', '/incidents?range=1h&refresh=off', (p) => p.getByTestId('incident-targets').waitFor()],
  ['break-even', '/break-even', (p) => p.getByTestId('verdict').waitFor()],
  ['compare', '/compare?range=1h', (p) => p.getByText('No shadow traffic in this period').waitFor()],
  ['alerts', '/alerts', (p) => p.getByText('No rules yet').waitFor()],
  ['keys', '/keys?refresh=off', (p) => p.getByTestId('no-keys').waitFor()],
  ['reports', '/reports', (p) => p.getByTestId('report-total').waitFor()],
  ['live', '/live', (p) => p.getByTestId('tail-state').filter({ hasText: 'live' }).waitFor()],
]

async function open(page: Page, path: string, ready: (p: Page) => Promise<unknown>): Promise<void> {
  await page.goto(`${env.url}${path.replace('{trace}', traceId)}`)
  await ready(page)
  // Charts and late panels draw after the first data: let the page settle.
  await page.waitForTimeout(300)
}

/** Toolbars, KPI rows and grids whose children overlap, and a page wider than the window. */
function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = []
    const doc = document.documentElement
    if (doc.scrollWidth > window.innerWidth) out.push(`the page scrolls sideways (${doc.scrollWidth}px)`)
    const hit = (a: DOMRect, b: DOMRect) =>
      a.width > 0 &&
      b.width > 0 &&
      a.left < b.right - 1 &&
      b.left < a.right - 1 &&
      a.top < b.bottom - 1 &&
      b.top < a.bottom - 1
    for (const box of document.querySelectorAll('nav, .toolbar, .range, .kpis, .grid2, .grid4, .controls .line')) {
      const kids = [...box.children].map((c) => [c, c.getBoundingClientRect()] as const)
      for (let i = 0; i < kids.length; i++)
        for (let j = i + 1; j < kids.length; j++)
          if (hit(kids[i]![1], kids[j]![1]))
            out.push(
              `${box.className || box.tagName}: ${kids[i]![0].textContent?.slice(0, 20)} overlaps ${kids[j]![0].textContent?.slice(0, 20)}`,
            )
    }
    return out
  })
}

describe('accessibility and layout', () => {
  for (const scheme of ['light', 'dark'] as const)
    it(`no serious or critical axe-core violations on any page, ${scheme} mode`, async () => {
      const context = await axeContext(browser, { colorScheme: scheme, viewport: { width: 1280, height: 800 } })
      const page = await context.newPage()
      try {
        for (const [name, path, ready] of PAGES) {
          await open(page, path, ready)
          const bg = await page.evaluate(() => getComputedStyle(document.body.parentElement!).backgroundColor)
          expect(bg, name).toBe(scheme === 'dark' ? 'rgb(11, 17, 32)' : 'rgb(248, 250, 252)')
          expect(await axeViolations(page), `${name} (${scheme})`).toEqual([])
          await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${scheme}.png`), fullPage: true })
        }
      } finally {
        await context.close()
      }
    }, 120_000)

  for (const [width, height] of [
    [1280, 800],
    [1920, 1080],
  ] as const)
    it(`nothing overlaps or scrolls sideways at ${width}×${height}`, async () => {
      const context = await browser.newContext({ viewport: { width, height } })
      const page = await context.newPage()
      try {
        for (const [name, path, ready] of PAGES) {
          await open(page, path, ready)
          expect(await layoutProblems(page), `${name} at ${width}×${height}`).toEqual([])
        }
      } finally {
        await context.close()
      }
    }, 120_000)

  it('the theme follows the system until one is picked, and the pick survives a reload', async () => {
    const context = await browser.newContext({ colorScheme: 'dark' })
    const page = await context.newPage()
    const background = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor)
    try {
      await page.goto(`${env.url}/?range=1h&refresh=off`)
      expect(await background()).toBe('rgb(11, 17, 32)')
      await page.getByLabel('Theme').selectOption('light')
      expect(await background()).toBe('rgb(248, 250, 252)')
      await page.reload()
      expect(await page.locator('html').getAttribute('data-theme')).toBe('light')
      expect(await background()).toBe('rgb(248, 250, 252)')
      await page.getByLabel('Theme').selectOption('system')
      expect(await page.locator('html').getAttribute('data-theme')).toBeNull()
      expect(await background()).toBe('rgb(11, 17, 32)')
    } finally {
      await context.close()
    }
  })

  it('the keyboard reaches the trace rows with a visible focus, and sorts a table', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await context.newPage()
    try {
      await open(page, '/traces?range=1h&refresh=off', PAGES[2]![2])
      let steps = 0
      while (steps++ < 100) {
        await page.keyboard.press('Tab')
        if (await page.evaluate(() => !!document.activeElement?.closest('[data-testid="traces-table"] tbody'))) break
      }
      expect(steps).toBeLessThan(100)
      const focused = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement
        const style = getComputedStyle(el)
        return {
          tag: el.tagName,
          trace: el.closest('tr')?.dataset.trace,
          outline: `${style.outlineStyle} ${style.outlineWidth}`,
        }
      })
      expect(focused).toMatchObject({ tag: 'A', outline: 'solid 3px' })
      await page.keyboard.press('Enter')
      await page.getByTestId('waterfall').waitFor()
      expect(new URL(page.url()).pathname).toBe(`/traces/${focused.trace}`)

      await open(page, '/explore?range=1h&group=team', PAGES[1]![2])
      const header = page.getByTestId('explore-table').locator('th', { hasText: 'Requests' })
      expect(await header.getAttribute('aria-sort')).toBe('descending')
      await header.getByRole('button').focus()
      await page.keyboard.press('Enter')
      expect(await header.getAttribute('aria-sort')).toBe('ascending')
      await page.keyboard.press('Enter')
      expect(await header.getAttribute('aria-sort')).toBe('descending')
    } finally {
      await context.close()
    }
  })
})
