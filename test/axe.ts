import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { expect } from 'vitest'
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core'

/** axe-core's own bundle, injected into the page (the browser context needs bypassCSP for it). */
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/** A context that can load axe: strict CSP forbids injected scripts, so only these contexts bypass it. */
export function axeContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  return browser.newContext({ ...options, bypassCSP: true })
}

interface AxeResult {
  violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: string[] }> }>
  passes: Array<{ id: string }>
}

/** axe-core's serious and critical violations, as "rule: selector" lines. */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE })
  const result = (await page.evaluate(() =>
    (window as unknown as { axe: { run: (ctx: Document) => Promise<unknown> } }).axe.run(document),
  )) as AxeResult
  // The rules that matter most here did run (and passed, or failed below).
  const ran = [...result.passes, ...result.violations].map((r) => r.id)
  expect(ran).toEqual(expect.arrayContaining(['color-contrast', 'button-name', 'select-name', 'link-name']))
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`))
}
