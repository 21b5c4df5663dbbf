/**
 * Load generation for `npm run bench`: wrk when it is installed (`apt-get install wrk`; C, so the
 * load generator takes little of the CPU the servers share), else a Node loop over an undici pool
 * in this process (costlier, so every column is lower; the ratios stay comparable).
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Pool } from 'undici'
import { percentile } from './percentile.ts'

export interface Load {
  url: string
  path: string
  body: string
  headers?: Record<string, string>
  connections: number
  seconds: number
}

export interface LoadResult {
  rps: number
  /** Milliseconds. */
  p50: number
  p90: number
  p99: number
  requests: number
}

const HEADERS = { 'content-type': 'application/json', authorization: 'Bearer sk-bench' }

export const hasWrk = (() => {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' })
    return true
  } catch (err) {
    return (err as { status?: number }).status === 1 // wrk --version prints and exits 1
  }
})()

export const loadGenerator = hasWrk ? 'wrk (1 thread)' : 'a Node loop over an undici pool (wrk not installed)'

export const run = (load: Load): Promise<LoadResult> => (hasWrk ? wrk(load) : nodeLoad(load))

const scripts = mkdtempSync(join(tmpdir(), 'tracegate-wrk-'))
process.on('exit', () => rmSync(scripts, { recursive: true, force: true }))
let scriptCount = 0

/** A wrk Lua script that POSTs the body with our headers. */
function script(load: Load): string {
  const lines = ['wrk.method = "POST"', `wrk.body = [==[${load.body}]==]`]
  for (const [k, v] of Object.entries({ ...HEADERS, ...load.headers })) lines.push(`wrk.headers["${k}"] = "${v}"`)
  const file = join(scripts, `${scriptCount++}.lua`)
  writeFileSync(file, lines.join('\n'))
  return file
}

const UNIT_MS: Record<string, number> = { us: 1e-3, ms: 1, s: 1000, m: 60_000 }
const ms = (text: string) => {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text)
  if (!m) throw new Error(`wrk printed an unknown duration: ${text}`)
  return Number(m[1]) * UNIT_MS[m[2]!]!
}

async function wrk(load: Load): Promise<LoadResult> {
  const args = ['-t1', `-c${load.connections}`, `-d${load.seconds}s`, '--latency', '-s', script(load)]
  const child = spawn('wrk', [...args, load.url + load.path], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  await new Promise((r) => child.once('exit', r))
  const field = (re: RegExp) => {
    const m = re.exec(out)
    if (!m) throw new Error(`wrk output without ${re}:\n${out}`)
    return m[1]!
  }
  const failed = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out)
  if (failed) throw new Error(`wrk saw failures against ${load.url}${load.path}: ${failed[0]}`)
  return {
    rps: Number(field(/Requests\/sec:\s+([\d.]+)/)),
    p50: ms(field(/\s50%\s+(\S+)/)),
    p90: ms(field(/\s90%\s+(\S+)/)),
    p99: ms(field(/\s99%\s+(\S+)/)),
    requests: Number(field(/(\d+) requests in/)),
  }
}

async function nodeLoad(load: Load): Promise<LoadResult> {
  const pool = new Pool(load.url, { connections: load.connections, pipelining: 1 })
  const headers = { ...HEADERS, ...load.headers }
  const samples: number[] = []
  const until = performance.now() + load.seconds * 1000
  const worker = async () => {
    while (performance.now() < until) {
      const t = performance.now()
      const res = await pool.request({ method: 'POST', path: load.path, headers, body: load.body })
      await res.body.dump({ limit: Infinity })
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode} from ${load.url}${load.path}`)
      samples.push(performance.now() - t)
    }
  }
  const start = performance.now()
  await Promise.all(Array.from({ length: load.connections }, worker))
  const seconds = (performance.now() - start) / 1000
  await pool.close()
  samples.sort((a, b) => a - b)
  return {
    rps: samples.length / seconds,
    p50: percentile(samples, 50),
    p90: percentile(samples, 90),
    p99: percentile(samples, 99),
    requests: samples.length,
  }
}
