import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Logger } from 'pino'

/** The repository's `ui/`, found upward from this module: it runs from gateway/src or from the bundle in gateway/dist. */
function findUiDir(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'ui', 'package.json'))) return join(dir, 'ui')
    if (dirname(dir) === dir) return resolve(from, '../../../ui')
  }
}

/** The explorer's Vite project and where its build lands. */
export const UI_DIR = findUiDir(dirname(fileURLToPath(import.meta.url)))
export const UI_DIST = join(UI_DIR, 'dist')

function newestMtime(path: string): number {
  const st = statSync(path)
  if (!st.isDirectory()) return st.mtimeMs
  let newest = st.mtimeMs
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)))
  return newest
}

/** True when ui/dist is missing or older than any source it is built from. */
export function explorerIsStale(): boolean {
  const index = join(UI_DIST, 'index.html')
  if (!existsSync(index)) return true
  const sources = ['src', 'index.html', 'vite.config.ts', 'package.json'].map((p) => join(UI_DIR, p)).filter(existsSync)
  const built = statSync(index).mtimeMs
  return sources.some((p) => newestMtime(p) > built) || newestMtime(join(UI_DIR, '../schemas/src')) > built
}

/**
 * Build the explorer when its sources changed, so `npm start` serves the current UI with no
 * separate step. Vite is loaded only then: a deployment that ships ui/dist never needs it.
 */
export async function buildExplorerIfStale(log: Pick<Logger, 'info' | 'warn'>): Promise<boolean> {
  if (!existsSync(join(UI_DIR, 'index.html')) || !explorerIsStale()) return false
  const started = Date.now()
  log.info('building the explorer (ui/) ...')
  const vite = await import('vite')
  await vite.build({ root: UI_DIR, logLevel: 'warn', configFile: join(UI_DIR, 'vite.config.ts') })
  log.info({ ms: Date.now() - started }, 'explorer built')
  return true
}
