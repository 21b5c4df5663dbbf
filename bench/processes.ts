/** The benchmarks' child processes: started, watched through /proc, and killed with the bench. */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export { startEnv, startFlags } from '../test/start-flags.ts'

export const ROOT = join(import.meta.dirname, '..')

export interface Started {
  child: ChildProcess
  url: string
  /** Milliseconds from spawn to the ready line. */
  readyMs: number
}

const children = new Set<ChildProcess>()
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')))

/**
 * Run `node [nodeArgs] script [args]` and resolve with the URL captured by `ready` from its
 * stdout. TypeScript scripts run through tsx; JavaScript (the gateway's bundle) runs as is.
 */
export function startNode(
  script: string,
  args: string[],
  opts: { env?: Record<string, string>; ready: RegExp; nodeArgs?: string[] },
): Promise<Started> {
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : []
  const began = performance.now()
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...loader, script, ...args], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.add(child)
  child.once('exit', () => children.delete(child))
  let out = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not print ${opts.ready} within 60 s`)), 60_000)
    child.once('exit', (code) => reject(new Error(`${script} exited ${code}`)))
    const onData = (d: Buffer) => {
      out += d
      const m = opts.ready.exec(out)
      if (!m) return
      clearTimeout(timer)
      resolve({ child, url: m[1]!, readyMs: performance.now() - began })
      // Stop keeping the gateway's log; the pipe is still read, so the child never blocks on it.
      child.stdout!.off('data', onData).resume()
    }
    child.stdout!.on('data', onData)
  })
}

export async function stop(p: Started | null | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null) return
  const exited = new Promise((r) => p.child.once('exit', r))
  p.child.kill('SIGTERM')
  await exited
}

/** CPU seconds (user + system, all threads) a process has used so far, from /proc. */
export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks
  } catch {
    return 0
  }
}

/**
 * CPU seconds the whole machine has spent busy so far, every process and core (/proc/stat: user,
 * nice, system, irq, softirq; idle, iowait and time stolen by the hypervisor left out).
 */
export function machineCpuSeconds(): number {
  const [user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8')
    .split('\n', 1)[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number)
  return (user! + nice! + system! + irq! + softirq!) / 100 // clock ticks (USER_HZ)
}

/** Resident memory now and at its peak (VmRSS, VmHWM), in MB. */
export function memoryMb(pid: number | undefined): { rss: number; peak: number } {
  const status = pid ? readFileSync(`/proc/${pid}/status`, 'utf8') : ''
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0)
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 }
}

/** A stand-in ClickHouse server that keeps nothing (bench/clickhouse-sink.mjs). */
export const startSink = () =>
  startNode(join(ROOT, 'bench/clickhouse-sink.mjs'), [], { ready: /listening on (http:\/\/\S+)/ })
