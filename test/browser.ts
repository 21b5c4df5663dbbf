import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext } from 'playwright-core'

/** Debian's chromium, installed by .ci/run; playwright never downloads a browser of its own. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const SCREENSHOT_DIR = join(process.cwd(), 'test-artifacts', 'screenshots')

/** Headless Chromium with the background services that would try the (closed) network switched off. */
export async function launchBrowser(): Promise<Browser> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** The explorer in this context starts with the admin token stored, as after its login prompt. */
export async function storeToken(context: BrowserContext, token: string): Promise<BrowserContext> {
  await context.addInitScript((t) => localStorage.setItem('tracegate.admin_token', t), token)
  return context
}
