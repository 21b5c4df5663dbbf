import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { startEnv, startFlags } from './start-flags.ts'

const ROOT = join(import.meta.dirname, '..')
/** tsx's loader by absolute URL: the gateway may run in any directory. */
const TSX_LOADER = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href

export interface SpawnedGateway {
  child: ChildProcess
  exited: Promise<number | null>
  out(): string
  err(): string
  /** Resolves with the URL once the gateway says it is listening. */
  ready(timeoutMs?: number): Promise<string>
}

/**
 * The gateway as its own process, for exit codes, signals and kills: node with tsx's loader, one
 * process (the tsx CLI would put a parent in between that a SIGKILL would hit instead). `bundle`
 * runs a bundle built by gateway/scripts/bundle.mjs instead, with npm start's node flags, as `npm start` does.
 */
export function spawnGateway(
  args: string[],
  env: Record<string, string>,
  cwd: string,
  bundle?: string,
): SpawnedGateway {
  const entry = bundle ? [...startFlags(), bundle] : ['--import', TSX_LOADER, join(ROOT, 'gateway/src/main.ts')]
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd,
    env: { ...process.env, ...(bundle && startEnv()), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => (stdout += d))
  child.stderr!.on('data', (d) => (stderr += d))
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  const ready = (timeoutMs = 30_000) =>
    new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`gateway did not start: ${stderr}`)), timeoutMs)
      const check = () => {
        const m = /listening on (http:\/\/[^"\s]+)/.exec(stdout)
        if (m) {
          clearTimeout(t)
          resolve(m[1]!)
        }
      }
      child.stdout!.on('data', check)
      check()
    })
  return { child, exited, out: () => stdout, err: () => stderr, ready }
}
