import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const ROOT = join(import.meta.dirname, '..')

/** How `npm start` runs the gateway's bundle: the bundle tests and the benches run it the same way. */
function startCommand(): { env: string; flags: string } {
  const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts
    .start
  const m = /((?:[A-Z_]+=\S+ )*)node ((?:--\S+ )*)gateway\/dist\/main\.mjs/.exec(start)
  if (!m) throw new Error(`npm start no longer runs gateway/dist/main.mjs: ${start}`)
  return { env: m[1]!, flags: m[2]! }
}

/** The node flags `npm start` runs the bundle with. */
export function startFlags(): string[] {
  return startCommand().flags.split(' ').filter(Boolean)
}

/** The environment `npm start` sets for the bundle (glibc's malloc settings). */
export function startEnv(): Record<string, string> {
  const pairs = startCommand().env.split(' ').filter(Boolean)
  return Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]))
}
