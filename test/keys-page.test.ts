import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import type { LimitsUsageResponse } from '@tracegate/schemas'
import { buildExplorerIfStale } from '../gateway/src/explorer/build.ts'
import { dateTime, usd } from '../ui/src/lib/format.ts'
import { serverSpan, traceId, useGateway } from './harness.ts'
import { launchBrowser, SCREENSHOT_DIR } from './browser.ts'
import { axeContext, axeViolations } from './axe.ts'

/**
 * The Keys & budgets page in headless Chromium against a real gateway: a key made in the form shows
 * its secret once and that secret works for a chat request at once; the list shows its hint, its
 * limits and its spend against its budget; edit, rotate and revoke take effect on the gateway; a
 * team made in the form is listed; config keys are read-only.
 */
const TOKEN = 'keys-page-admin-token'
const env = useGateway(
  (mock) => ({
    providers: { openai: { base_url: `${mock.url}/v1` } },
    keys: [{ key: 'tg-config-page-0001', name: 'from-config', team: 'ops', rpm: 30 }],
  }),
  {
    adminToken: TOKEN,
    beforeStart: async () => {
      await buildExplorerIfStale({ info: () => undefined, warn: () => undefined })
    },
  },
)
let browser: Browser
let page: Page
let secret = ''
let rotated = ''

const chat = (key: string) => env.chat('gpt-4o', { authorization: `Bearer ${key}` }, { max_tokens: 5 })
const row = (name: string) => page.locator(`tr[data-key="${name}"]`)
const cell = (name: string, i: number) => row(name).locator('td').nth(i)
const keyForm = () => page.getByRole('form', { name: 'Key' })

beforeAll(async () => {
  browser = await launchBrowser()
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
  await context.grantPermissions(['clipboard-read', 'clipboard-write'])
  page = await context.newPage()
  page.setDefaultTimeout(10_000)
}, 60_000)
afterAll(() => browser?.close())

describe('the Keys & budgets page', () => {
  it('lists the config key read-only', async () => {
    await page.goto(`${env.url}/keys?refresh=off`)
    await page.getByLabel('Admin token').fill(TOKEN)
    await page.getByRole('button', { name: 'Continue' }).click()
    await row('from-config').waitFor()
    expect(await page.getByRole('link', { name: 'Keys & budgets' }).getAttribute('aria-current')).toBe('page')
    expect(await cell('from-config', 1).textContent()).toBe('ops')
    expect(await cell('from-config', 3).textContent()).toBe('config (read-only)')
    expect(await cell('from-config', 4).textContent()).toBe('…0001')
    expect(await cell('from-config', 6).textContent()).toBe('rpm 30')
    expect(await row('from-config').getByRole('button').count()).toBe(0)
  })

  it('a team made in the form is listed with its budget', async () => {
    const form = page.getByRole('form', { name: 'Team' })
    await form.getByLabel('Name').fill('growth')
    await form.getByLabel('Budget (USD)', { exact: true }).fill('1')
    await form.getByLabel('Budget period').selectOption('week')
    await form.getByRole('button', { name: 'Create team' }).click()
    const team = page.locator('tr[data-team="growth"]')
    await team.waitFor()
    expect(await team.getByTestId('team-limits').textContent()).toBe('$1.00/week')
    expect(await team.locator('td').nth(1).textContent()).toBe('explorer / API')
    expect(await team.getByTestId('spend').textContent()).toBe('$0.00 of $1.00')
  })

  it('creates a key in the form: its secret is shown once, works at once, and the list shows its hint', async () => {
    const form = keyForm()
    await form.getByLabel('Name').fill('ci-bot')
    await form.getByLabel('Team').fill('growth')
    await form.getByLabel('Models (comma list)').fill('gpt-4o, openai/*')
    await form.getByLabel('Budget (USD)', { exact: true }).fill('0.003')
    await form.getByLabel('Budget period').selectOption('day')
    await form.getByLabel('Requests per minute').fill('60')
    await form.getByLabel('Expires').fill('2030-01-01T12:00')
    await form.getByRole('button', { name: 'Create key' }).click()

    secret = (await page.getByTestId('new-secret').textContent()) ?? ''
    expect(secret).toMatch(/^tg-[A-Za-z0-9_-]{32}$/)
    expect(await page.getByTestId('new-secret-panel').textContent()).toContain('you will not see it again')
    // The form is empty again: the next key starts from nothing.
    expect(await form.getByLabel('Name').inputValue()).toBe('')

    const res = await chat(secret)
    expect(res.status).toBe(200)
    await row('ci-bot').waitFor()
    expect(await cell('ci-bot', 1).textContent()).toBe('growth')
    expect(await cell('ci-bot', 3).textContent()).toBe('explorer / API')
    expect(await cell('ci-bot', 4).textContent()).toBe(`…${secret.slice(-4)}`)
    expect(await cell('ci-bot', 5).textContent()).toBe('gpt-4o, openai/*')
    expect(await cell('ci-bot', 6).textContent()).toBe('$0.0030/day, rpm 60')
    // The browser and this process share a time zone: the input's wall clock is the same instant here.
    expect(await cell('ci-bot', 9).textContent()).toBe(dateTime(new Date('2030-01-01T12:00')))
    await page.getByRole('button', { name: 'Copy the secret' }).click()
    await page.getByRole('button', { name: 'Copied' }).waitFor()
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret)
    expect(page.url()).not.toContain(secret)
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(secret)

    // The request's recorded cost is what the spend bar shows against the budget.
    const cost = serverSpan(await env.trace(traceId(res))).cost_usd!
    expect(cost).toBeGreaterThan(0)
    await env.gw.flushSpans()
    await page.reload()
    await row('ci-bot').waitFor()
    await expect
      .poll(() => row('ci-bot').getByTestId('spend').textContent(), { timeout: 10_000 })
      .toBe(`${usd(cost)} of $0.0030`)
    expect(await row('ci-bot').locator('meter').getAttribute('value')).toBe(String(cost))
    // What the page read: the day budget resets at the next UTC midnight (limits.time_zone), the team's week on Monday.
    const usage = (await (
      await fetch(`${env.url}/api/limits/usage`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as LimitsUsageResponse
    const now = new Date()
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)
    const monday = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 7 - ((now.getUTCDay() + 6) % 7))
    expect(usage.scopes.find((u) => u.name === 'ci-bot')).toEqual({
      ...{ kind: 'key', name: 'ci-bot', budget_usd: 0.003, budget_period: 'day', soft_budget_usd: null },
      ...{ spent_usd: cost, held_usd: 0, resets_at: new Date(midnight).toISOString() },
      // The one chat request above, counted in the key's minute.
      ...{ rpm: 60, rpm_used: 1, tpm: null, tpm_used: 0, max_parallel: null, parallel_open: 0 },
    })
    expect(usage.scopes.find((u) => u.kind === 'team' && u.name === 'growth')).toMatchObject({
      budget_usd: 1,
      spent_usd: cost,
      resets_at: new Date(monday).toISOString(),
    })
    // Shown once: after a reload the secret is nowhere on the page.
    expect(await page.getByTestId('new-secret').count()).toBe(0)
    expect(await page.content()).not.toContain(secret)
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'keys-page.png'), fullPage: true })
  })

  it('an edit of the rpm shows in the list and on the gateway, leaving the rest as it was', async () => {
    await row('ci-bot').getByRole('button', { name: 'Edit key ci-bot' }).click()
    const form = keyForm()
    expect(await form.getByLabel('Team').inputValue()).toBe('growth')
    await form.getByLabel('Requests per minute').fill('7')
    await form.getByRole('button', { name: 'Save key' }).click()
    await expect.poll(() => cell('ci-bot', 6).textContent()).toBe('$0.0030/day, rpm 7')
    expect(await cell('ci-bot', 1).textContent()).toBe('growth')
    expect(await row('ci-bot').getByTestId('limit-use').textContent()).toMatch(/^rpm \d+ \/ 7$/)
    const res = await chat(secret)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('7')
  })

  it('rotate shows a new secret once and the old one is refused; revoke removes the key', async () => {
    page.once('dialog', (d) => void d.accept())
    await row('ci-bot').getByRole('button', { name: 'Rotate key ci-bot' }).click()
    await expect.poll(() => page.getByTestId('new-secret').textContent()).not.toBe(secret)
    rotated = (await page.getByTestId('new-secret').textContent()) ?? ''
    expect(rotated).toMatch(/^tg-/)
    expect(await page.getByTestId('new-secret-panel').textContent()).toContain('The previous secret no longer works.')
    expect((await chat(secret)).status).toBe(401)
    expect((await chat(rotated)).status).toBe(200)
    await page.getByRole('button', { name: 'I have stored it, hide it' }).click()
    expect(await page.getByTestId('new-secret').count()).toBe(0)

    page.once('dialog', (d) => void d.accept())
    await row('ci-bot').getByRole('button', { name: 'Revoke key ci-bot' }).click()
    await row('ci-bot').waitFor({ state: 'detached' })
    expect((await chat(rotated)).status).toBe(401)
    expect(await row('from-config').count()).toBe(1)
  })

  it('a team is edited and deleted from the page; a refused change shows the API message', async () => {
    const team = page.locator('tr[data-team="growth"]')
    await team.getByRole('button', { name: 'Edit team growth' }).click()
    const form = page.getByRole('form', { name: 'Team' })
    await form.getByLabel('Tokens per minute').fill('5000')
    await form.getByRole('button', { name: 'Save team' }).click()
    await expect.poll(() => team.getByTestId('team-limits').textContent()).toBe('$1.00/week, tpm 5,000')

    await keyForm().getByLabel('Name').fill('bad/name')
    await keyForm().getByRole('button', { name: 'Create key' }).click()
    expect(await page.getByTestId('key-error').textContent()).toBe(
      'name: letters, digits, spaces and . _ : @ -, starting with a letter or digit',
    )

    page.once('dialog', (d) => void d.accept())
    await team.getByRole('button', { name: 'Delete team growth' }).click()
    await team.waitFor({ state: 'detached' })
  })

  it('with keys, teams and spend listed: no serious axe-core violation in either theme, and the keyboard edits a key', async () => {
    const admin = (path: string, body: object) =>
      fetch(`${env.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    expect((await admin('/api/teams', { name: 'search', budget_usd: 5, rpm: 100 })).status).toBe(201)
    const made = (await (
      await admin('/api/keys', { name: 'a11y-bot', team: 'search', budget_usd: 1, tpm: 1000, max_parallel: 2 })
    ).json()) as { key: string }
    expect((await chat(made.key)).status).toBe(200)
    await env.gw.flushSpans()
    // The tokens that one request used, as the limits store counts them (settled from its span).
    const usage = (await (
      await fetch(`${env.url}/api/limits/usage`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as LimitsUsageResponse
    const tokens = usage.scopes.find((u) => u.name === 'a11y-bot')!.tpm_used
    expect(tokens).toBeGreaterThan(0)
    for (const scheme of ['light', 'dark'] as const) {
      const context = await axeContext(browser, { colorScheme: scheme, viewport: { width: 1280, height: 800 } })
      const p = await context.newPage()
      try {
        await p.goto(`${env.url}/keys?refresh=off`)
        await p.getByLabel('Admin token').fill(TOKEN)
        await p.getByRole('button', { name: 'Continue' }).click()
        await p.locator('tr[data-key="a11y-bot"] [data-testid="spend"]').waitFor()
        expect(await p.locator('tr[data-key="a11y-bot"]').getByTestId('limit-use').textContent()).toBe(
          `tpm ${tokens} / 1,000parallel 0 / 2`,
        )
        expect(await axeViolations(p), scheme).toEqual([])
        if (scheme === 'dark') continue
        let steps = 0
        while (steps++ < 60) {
          await p.keyboard.press('Tab')
          if (await p.evaluate(() => document.activeElement?.getAttribute('aria-label') === 'Edit key a11y-bot')) break
        }
        expect(steps).toBeLessThan(60)
        await p.keyboard.press('Enter')
        expect(await p.getByRole('form', { name: 'Key' }).getByLabel('Tokens per minute').inputValue()).toBe('1000')
      } finally {
        await context.close()
      }
    }
  }, 60_000)
})
