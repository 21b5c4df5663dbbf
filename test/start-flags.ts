import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const ROOT = join(import.meta.dirname, '..')

/** The node flags `npm start` runs the gateway's bundle with: the bundle tests and the benches run it the same way. */
export function startFlags(): string[] {
  const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts
    .start
  const flags = /node ((?:--\S+ )*)gateway\/dist\/main\.mjs/.exec(start)
  if (!flags) throw new Error(`npm start no longer runs gateway/dist/main.mjs: ${start}`)
  return flags[1]!.split(' ').filter(Boolean)
}
