/**
 * `npm run bench`: the same load sent straight to the mock upstream and through the gateway
 * (tracing on, embedded ClickHouse), side by side in one run. Reports added latency at
 * concurrency 1 and sustained requests/s at concurrency 32, non-streaming and streaming.
 * BENCH_STORAGE=sink replaces the embedded engine with a stand-in server that keeps nothing
 * (bench/clickhouse-sink.mjs): the gateway's own cost when ClickHouse runs on other machines.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Pool } from 'undici'
import { percentile } from './percentile.ts'

const ROOT = join(import.meta.dirname, '..')
const LATENCY_REQUESTS = Number(process.env.BENCH_LATENCY_REQUESTS ?? 3000)
const THROUGHPUT_SECONDS = Number(process.env.BENCH_SECONDS ?? 8)
const CONCURRENCY = 32

const children: ChildProcess[] = []
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')))

function startProcess(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  nodeArgs: string[] = [],
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(child)
  let out = ''
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${args[0]} exited ${code}`)))
    child.stdout!.on('data', (d) => {
      out += d
      const m = ready.exec(out)
      if (m) resolve({ child, url: m[1]! })
    })
  })
}

const body = (stream: boolean, model = 'gpt-4o') =>
  JSON.stringify({
    model,
    stream,
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Say hello in five words.' },
    ],
  })

async function once(pool: Pool, path: string, payload: string): Promise<void> {
  const res = await pool.request({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
    body: payload,
  })
  await res.body.dump({ limit: Infinity })
  if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`)
}

async function latency(pool: Pool, path: string, payload: string) {
  for (let i = 0; i < 1000; i++) await once(pool, path, payload) // warm-up: JIT, keep-alive sockets, first inserts
  const samples: number[] = []
  for (let i = 0; i < LATENCY_REQUESTS; i++) {
    const t = performance.now()
    await once(pool, path, payload)
    samples.push(performance.now() - t)
  }
  samples.sort((a, b) => a - b)
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) }
}

/** CPU seconds (user + system, all threads) a process has used so far, from /proc. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks
  } catch {
    return 0
  }
}

async function throughput(pool: Pool, path: string, payload: string): Promise<number> {
  const until = performance.now() + THROUGHPUT_SECONDS * 1000
  let done = 0
  const worker = async () => {
    while (performance.now() < until) {
      await once(pool, path, payload)
      done++
    }
  }
  const start = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  return done / ((performance.now() - start) / 1000)
}

const fmt = (n: number, d = 3) => n.toFixed(d)

interface Row {
  scenario: string
  direct: number
  gateway: number
  bare?: number
  cpu?: string
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'tracegate-bench-'))
  const mock = await startProcess([join(ROOT, 'bench/mock-server.ts')], {}, /(http:\/\/\S+)/)
  const sink =
    process.env.BENCH_STORAGE === 'sink'
      ? await startProcess([join(ROOT, 'bench/clickhouse-sink.mjs')], {}, /listening on (http:\/\/\S+)/)
      : null
  const config = join(dataDir, 'tracegate.yaml')
  writeFileSync(
    config,
    [
      'providers:',
      `  openai: { base_url: "${mock.url}/v1" }`,
      'models:',
      '  - { name: single, targets: [{ provider: openai, model: gpt-4o }] }',
      '  - { name: routed, strategy: loadbalance, targets: [{ provider: openai, model: gpt-4o }, { provider: openai, model: gpt-4o-mini }] }',
      process.env.BENCH_EXTRA_CONFIG ?? '',
    ].join('\n'),
  )
  const gw = await startProcess(
    [join(ROOT, 'gateway/src/main.ts'), '--config', config],
    {
      PORT: '0',
      TRACEGATE_DATA_DIR: join(dataDir, 'data'),
      ...(sink && { CLICKHOUSE_URL: sink.url }),
    },
    /listening on (http:\/\/[^"\s]+)/,
    (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean),
  ) // e.g. --cpu-prof
  const bare = await startProcess([join(ROOT, 'bench/bare-proxy.mjs'), mock.url], {}, /listening on (http:\/\/\S+)/)
  const direct = new Pool(mock.url, { connections: CONCURRENCY, pipelining: 1 })
  const bareProxy = new Pool(bare.url, { connections: CONCURRENCY, pipelining: 1 })
  const gateway = new Pool(gw.url, { connections: CONCURRENCY, pipelining: 1 })
  const lat: Row[] = []
  const rps: Row[] = []
  try {
    // All latency rows first, while storage is idle; the throughput rows leave merges behind them.
    for (const stream of [false, true]) {
      const name = stream ? 'streaming' : 'non-streaming'
      const d = await latency(direct, '/v1/chat/completions', body(stream))
      const g = await latency(gateway, '/v1/chat/completions', body(stream))
      lat.push(
        { scenario: `${name} p50`, direct: d.p50, gateway: g.p50 },
        { scenario: `${name} p99`, direct: d.p99, gateway: g.p99 },
      )
    }
    // Routing cost: an alias with two load-balanced targets against an alias with one.
    const d = await latency(direct, '/v1/chat/completions', body(false))
    const single = await latency(gateway, '/v1/chat/completions', body(false, 'single'))
    const routed = await latency(gateway, '/v1/chat/completions', body(false, 'routed'))
    lat.push(
      { scenario: 'alias, 1 target p50', direct: d.p50, gateway: single.p50 },
      { scenario: 'alias, 2 load-balanced targets p50', direct: d.p50, gateway: routed.p50 },
    )
    lat.push(
      { scenario: 'alias, 1 target p99', direct: d.p99, gateway: single.p99 },
      { scenario: 'alias, 2 load-balanced targets p99', direct: d.p99, gateway: routed.p99 },
    )
    for (const stream of [false, true]) {
      const payload = body(stream)
      const dr = await throughput(direct, '/v1/chat/completions', payload)
      const before = [
        cpuSeconds(gw.child.pid),
        cpuSeconds(mock.child.pid),
        process.cpuUsage(),
        cpuSeconds(sink?.child.pid),
      ] as const
      const gr = await throughput(gateway, '/v1/chat/completions', payload)
      const self = process.cpuUsage(before[2])
      const n = gr * THROUGHPUT_SECONDS
      const per = (sec: number) => ((sec * 1e6) / n).toFixed(0)
      const sinkCpu = sink ? `, sink ${per(cpuSeconds(sink.child.pid) - before[3])} µs` : ''
      const cpu = `gateway ${per(cpuSeconds(gw.child.pid) - before[0])} µs, mock ${per(cpuSeconds(mock.child.pid) - before[1])} µs, load ${per((self.user + self.system) / 1e6)} µs${sinkCpu}`
      const br = await throughput(bareProxy, '/v1/chat/completions', payload)
      rps.push({ scenario: stream ? 'streaming' : 'non-streaming', direct: dr, gateway: gr, bare: br, cpu })
    }
    // Every request above must have been recorded: ask the gateway how many request spans it holds.
    await new Promise((r) => setTimeout(r, 1500))
    const listed = (await fetch(`${gw.url}/readyz`).then((r) => r.json())) as {
      spans: { written: number; pending: number; dropped: number }
    }
    console.log(
      `\nnode ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${LATENCY_REQUESTS} sequential requests per latency row, ${THROUGHPUT_SECONDS}s per throughput row, storage ${sink ? 'a sink server (BENCH_STORAGE=sink)' : 'embedded'}\n`,
    )
    console.log('Latency at concurrency 1 (ms)')
    console.log('| case | direct | through gateway | added |')
    console.log('|---|---:|---:|---:|')
    for (const r of lat)
      console.log(`| ${r.scenario} | ${fmt(r.direct)} | ${fmt(r.gateway)} | ${fmt(r.gateway - r.direct)} |`)
    console.log(`\nThroughput at concurrency ${CONCURRENCY} (requests/s)`)
    console.log(
      '| case | direct | through gateway | gateway / direct | bare node proxy, no tracing (floor) | CPU per request through the gateway |',
    )
    console.log('|---|---:|---:|---:|---:|---|')
    for (const r of rps)
      console.log(
        `| ${r.scenario} | ${fmt(r.direct, 0)} | ${fmt(r.gateway, 0)} | ${fmt((100 * r.gateway) / r.direct, 1)}% | ${fmt(r.bare!, 0)} (${fmt((100 * r.bare!) / r.direct, 1)}%) | ${r.cpu} |`,
      )
    console.log(
      `\nspans written ${listed.spans.written}, pending ${listed.spans.pending}, dropped ${listed.spans.dropped}`,
    )
  } finally {
    await direct.close()
    await gateway.close()
    await bareProxy.close()
    bare.child.kill('SIGTERM')
    gw.child.kill('SIGTERM')
    mock.child.kill('SIGTERM')
    sink?.child.kill('SIGTERM')
    await new Promise((r) => gw.child.once('exit', r))
    rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
