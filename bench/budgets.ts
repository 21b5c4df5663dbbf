/**
 * `npm run bench:budgets`: spend controls (issue 13) against their targets, in one run, through
 * real gateway processes (the bundle) in front of the mock upstream in its own process:
 *
 * 1. budget overshoot: 500 concurrent streams at ≈ $0.013 each against a $1.00 budget, BENCH_RUNS
 *    times (10), on one replica with the memory store and on two replicas sharing a redis-server;
 *    spend is what the gateways' spans recorded (`POST /api/query`);
 * 2. rpm 60 across the two Redis replicas: 90 requests in a few seconds, exactly 60 admitted;
 * 3. the check's added latency, two ways: `Enforcer.admit` timed in this process (memory and Redis
 *    stores), and c=1 requests through a gateway with a limited key interleaved with an unlimited one.
 *
 * Each budget and rpm run uses a key of its own, so every run starts from a whole budget.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { buildExplorerIfStale } from '../gateway/src/explorer/build.ts'
import { createLogger } from '../gateway/src/log.ts'
import { memoryStore, redisStore, timeAdmit, warmUp, type AdmitTiming } from './budgets-admit.ts'
import { ADMIN_TOKEN, chat, recorded, streamChat, STREAM_CHUNKS, STREAM_MAX_TOKENS } from './budgets-client.ts'
import { percentile } from './percentile.ts'
import { ROOT, startEnv, startFlags, startNode, stop, type Started } from './processes.ts'
import { requireRedisServer, startRedisServer } from '../test/redis-server.ts'

const RUNS = Number(process.env.BENCH_RUNS ?? 10)
const CONCURRENT = 500
const BUDGET_USD = 1
const RPM = 60
const RPM_SENT = 90
const RPM_RUNS = 3
const PAIRS = Number(process.env.BENCH_PAIRS ?? 500)
const ROUNDS = 5
/** Float sums of ~77 costs may differ from the limit in the 16th digit: that is not an overshoot. */
const EPSILON = 1e-9

const dir = mkdtempSync(join(tmpdir(), 'tracegate-bench-budgets-'))
const keyOf = (name: string) => `tg-bench-${name}`
/** min–max of a figure over the runs, with `d` decimals (one value when they print alike). */
function range<T>(runs: T[], pick: (run: T) => number, d: number): string {
  const xs = runs.map(pick)
  const [lo, hi] = [Math.min(...xs), Math.max(...xs)]
  return lo.toFixed(d) === hi.toFixed(d) ? lo.toFixed(d) : `${lo.toFixed(d)}–${hi.toFixed(d)}`
}

/** Every key the runs use: one per budget run and store, one per rpm run, and the two latency keys. */
function keys(): object[] {
  const out: object[] = []
  for (let i = 0; i < RUNS; i++)
    for (const store of ['memory', 'redis'])
      out.push({
        key: keyOf(`budget-${store}-${i}`),
        name: `budget-${store}-${i}`,
        budget_usd: BUDGET_USD,
        budget_period: 'none',
      })
  for (let i = 0; i < RPM_RUNS; i++) out.push({ key: keyOf(`rpm-${i}`), name: `rpm-${i}`, rpm: RPM })
  // Every kind of limit, and a team budget, against nothing at all: the same request otherwise.
  const high = { budget_usd: 1e6, budget_period: 'none', rpm: 1e9, tpm: 1e9, max_parallel: 1000 }
  // A fresh limited key per round and gateway: the tpm check sums the key's window, so its cost
  // grows with the key's requests in the last minute; each round starts it empty (the in-process
  // timing shows the growth).
  for (const name of ['warm', ...Array.from({ length: ROUNDS * 2 }, (_, i) => String(i))])
    out.push({ key: keyOf(`limited-${name}`), name: `limited-${name}`, team: 'bench', ...high })
  out.push({ key: keyOf('free'), name: 'free' })
  return out
}

function writeConfig(name: string, mockUrl: string, redisUrl?: string): string {
  const config = {
    providers: { openai: { base_url: `${mockUrl}/v1` } },
    keys: keys(),
    teams: [{ name: 'bench', budget_usd: 1e6, budget_period: 'none' }],
    ...(redisUrl && { limits: { redis_url: redisUrl, replicas: 2 } }),
  }
  const file = join(dir, `${name}.yaml`)
  writeFileSync(file, JSON.stringify(config, null, 2)) // JSON is YAML
  return file
}

function startGateway(config: string, dataDir: string): Promise<Started> {
  mkdirSync(dataDir, { recursive: true })
  return startNode(join(ROOT, 'gateway/dist/main.mjs'), ['--config', config], {
    env: { ...startEnv(), PORT: '0', TRACEGATE_DATA_DIR: dataDir, TRACEGATE_ADMIN_TOKEN: ADMIN_TOKEN },
    ready: /listening on (http:\/\/[^"\s]+)/,
    nodeArgs: startFlags(),
  })
}

interface BudgetRun {
  admitted: number
  spendUsd: number
  overshootUsd: number
  /** Answers that were neither a finished stream nor the 429 budget_exceeded error. */
  wrong: string[]
  seconds: number
  /** Redis only: its spent minus the spans' spend, and what was still held after settling. */
  redisGap?: number
  redisHeld?: number
}

async function budgetRun(urls: string[], name: string, redis?: Redis): Promise<BudgetRun> {
  const since = Date.now()
  const began = performance.now()
  const answers = await Promise.all(
    Array.from({ length: CONCURRENT }, (_, i) => streamChat(urls[i % urls.length]!, keyOf(name))),
  )
  const seconds = (performance.now() - began) / 1000
  const admitted = answers.filter((a) => a.status === 200).length
  const spans = await recorded(urls, name, admitted, since)
  const wrong = answers
    .filter((a) => !(a.status === 200 && a.code === 'complete') && !(a.status === 429 && a.code === 'budget_exceeded'))
    .map((a) => `${a.status} ${a.code}`)
  if (spans.ok !== admitted || spans.requests !== admitted)
    wrong.push(`spans: ${spans.requests} forwarded, ${spans.ok} ok; the client saw ${admitted} admitted`)
  const run: BudgetRun = {
    admitted,
    spendUsd: spans.costUsd,
    overshootUsd: Math.max(0, spans.costUsd - BUDGET_USD),
    wrong,
    seconds,
  }
  if (redis) {
    const [hash] = await redis.keys(`tracegate:budget:key:${name}:*`)
    run.redisGap = Number(await redis.hget(hash!, 'spent')) - spans.costUsd
    run.redisHeld = Number(await redis.hget(hash!, 'held'))
  }
  return run
}

/** RPM_SENT requests, 10 at a time, alternating between the replicas: how many got in, and how the rest were refused. */
async function rpmRun(urls: string[], name: string): Promise<{ admitted: number; wrong: string[]; seconds: number }> {
  const began = performance.now()
  const answers = []
  for (let sent = 0; sent < RPM_SENT; sent += 10)
    answers.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => chat(urls[i % 2]!, keyOf(name))))))
  const wrong = answers
    .filter((a) => a.status !== 200 && !(a.status === 429 && a.code === 'rate_limit_exceeded'))
    .map((a) => `${a.status} ${a.code}`)
  return {
    admitted: answers.filter((a) => a.status === 200).length,
    wrong,
    seconds: (performance.now() - began) / 1000,
  }
}

interface Interleaved {
  /** Microseconds. */
  p50: { limited: number; free: number }
  p99: { limited: number; free: number }
}

/**
 * c=1 requests alternating between the limited and the unlimited key on one gateway (ABBA, so
 * neither always goes first): the difference is what the checks add, the rest of the path alike.
 */
async function interleaved(url: string, limited: string, pairs: number): Promise<Interleaved> {
  const samples = { limited: [] as number[], free: [] as number[] }
  const key = { limited: keyOf(limited), free: keyOf('free') }
  for (let i = 0; i < pairs; i++) {
    for (const which of i % 2 ? (['limited', 'free'] as const) : (['free', 'limited'] as const)) {
      const t = performance.now()
      const a = await chat(url, key[which])
      samples[which].push((performance.now() - t) * 1000)
      if (a.status !== 200) throw new Error(`the ${which} key was answered ${a.status} ${a.code}`)
    }
  }
  samples.limited.sort((a, b) => a - b)
  samples.free.sort((a, b) => a - b)
  const at = (p: number) => ({ limited: percentile(samples.limited, p), free: percentile(samples.free, p) })
  return { p50: at(50), p99: at(99) }
}

interface Results {
  budget: { memory: BudgetRun[]; redis: BudgetRun[] }
  rpm: Array<{ admitted: number; wrong: string[]; seconds: number }>
  e2e: { memory: Interleaved[]; redis: Interleaved[] }
  admit: {
    memory: AdmitTiming[]
    redis: AdmitTiming[]
    /** A key with 5,000 requests in its window, with and without a tpm limit. */
    full: Record<'memory' | 'redis' | 'memoryNoTpm' | 'redisNoTpm', AdmitTiming>
  }
}

/** The check in this process: fresh keys with up to 500 requests in their window, then a key with 5,000. */
async function inProcess(redisUrl: string): Promise<Results['admit']> {
  const memory = memoryStore()
  const redis = redisStore(redisUrl)
  await warmUp(memory)
  await warmUp(redis)
  const out: Results['admit'] = { memory: [], redis: [], full: {} as Results['admit']['full'] }
  for (let round = 0; round < ROUNDS; round++) {
    out.memory.push(await timeAdmit(memory, { keys: 20, perKey: 500 }))
    out.redis.push(await timeAdmit(redis, { keys: 10, perKey: 500 }))
  }
  const full = { keys: 1, perKey: 500, prefill: 5000 }
  out.full.memory = await timeAdmit(memory, full)
  out.full.redis = await timeAdmit(redis, full)
  out.full.memoryNoTpm = await timeAdmit(memory, { ...full, withoutTpm: true })
  out.full.redisNoTpm = await timeAdmit(redis, { ...full, withoutTpm: true })
  await redis.close()
  return out
}

async function measure(mockUrl: string, redisUrl: string, redis: Redis): Promise<Results> {
  const memoryGw = await startGateway(writeConfig('memory', mockUrl), join(dir, 'data-memory'))
  const redisConfig = writeConfig('redis', mockUrl, redisUrl)
  const replicas = [
    await startGateway(redisConfig, join(dir, 'data-redis-a')),
    await startGateway(redisConfig, join(dir, 'data-redis-b')),
  ]
  const shared = replicas.map((r) => r.url)
  try {
    // Warm-up: JIT, connection pools, the first span batches; the latency keys' windows stay small.
    for (const url of [memoryGw.url, ...shared]) await interleaved(url, 'limited-warm', 200)
    const results: Results = {
      budget: { memory: [], redis: [] },
      rpm: [],
      e2e: { memory: [], redis: [] },
      admit: undefined!,
    }
    for (let i = 0; i < RUNS; i++) {
      results.budget.memory.push(await budgetRun([memoryGw.url], `budget-memory-${i}`))
      results.budget.redis.push(await budgetRun(shared, `budget-redis-${i}`, redis))
      console.log(`budget run ${i + 1}/${RUNS} done`)
    }
    for (let i = 0; i < RPM_RUNS; i++) results.rpm.push(await rpmRun(shared, `rpm-${i}`))
    for (let round = 0; round < ROUNDS; round++) {
      results.e2e.memory.push(await interleaved(memoryGw.url, `limited-${round * 2}`, PAIRS))
      results.e2e.redis.push(await interleaved(shared[0]!, `limited-${round * 2 + 1}`, PAIRS))
    }
    results.admit = await inProcess(redisUrl)
    return results
  } finally {
    await Promise.all([stop(memoryGw), ...replicas.map(stop)])
  }
}

function report(r: Results): void {
  console.log(
    `\n## ${new Date().toISOString().slice(0, 10)}: node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}; ${RUNS} budget runs, ${ROUNDS} latency rounds\n`,
  )
  console.log(
    `Budget runs: ${CONCURRENT} concurrent streams (gpt-4o, max_tokens ${STREAM_MAX_TOKENS}, ${STREAM_CHUNKS} output tokens) against $${BUDGET_USD.toFixed(2)}\n`,
  )
  console.log('| | admitted | settled spend, USD | cost per request, USD | overshoot, USD | wrong answers | seconds |')
  console.log('|---|---:|---:|---:|---:|---:|---:|')
  const budgetRow = (label: string, runs: BudgetRun[]) => {
    const cells = [
      range(runs, (b) => b.admitted, 0),
      range(runs, (b) => b.spendUsd, 4),
      range(runs, (b) => b.spendUsd / b.admitted, 4),
      range(runs, (b) => b.overshootUsd, 6),
      String(runs.reduce((n, b) => n + b.wrong.length, 0)),
      range(runs, (b) => b.seconds, 1),
    ]
    console.log(`| ${label} | ${cells.join(' | ')} |`)
  }
  budgetRow('1 replica, memory', r.budget.memory)
  budgetRow('2 replicas, Redis', r.budget.redis)
  const gap = Math.max(...r.budget.redis.map((b) => Math.abs(b.redisGap ?? 0)))
  const held = Math.max(...r.budget.redis.map((b) => Math.abs(b.redisHeld ?? 0)))
  console.log(
    `\nRedis's spent vs the spans' spend: max gap $${gap.toExponential(2)}; left held after settling: max $${held.toExponential(2)}`,
  )
  for (const b of [...r.budget.memory, ...r.budget.redis].filter((x) => x.wrong.length))
    console.log(`wrong answers: ${[...new Set(b.wrong)].join(', ')}`)
  const rpmWrong = r.rpm.reduce((n, x) => n + x.wrong.length, 0)
  console.log(
    `rpm ${RPM} across 2 replicas: ${RPM_SENT} sent in ${range(r.rpm, (x) => x.seconds, 1)} s, admitted ${r.rpm.map((x) => x.admitted).join(', ')}; answers other than 429 rate_limit_exceeded: ${rpmWrong}`,
  )
  reportLatency(r)
  reportTargets(r)
}

function reportLatency(r: Results): void {
  console.log('\n| check latency, µs | p50 | p99 | method |\n|---|---:|---:|---|')
  const admitRow = (label: string, t: AdmitTiming[], how: string) =>
    console.log(`| ${label} | ${range(t, (x) => x.p50, 1)} | ${range(t, (x) => x.p99, 1)} | ${how} |`)
  const rounds = (t: AdmitTiming[]) => `in process, ${t[0]!.calls} calls × ${ROUNDS}, ≤ 500 in each key's window`
  admitRow('Enforcer.admit, memory', r.admit.memory, rounds(r.admit.memory))
  admitRow('Enforcer.admit, Redis on loopback', r.admit.redis, rounds(r.admit.redis))
  const full = r.admit.full
  admitRow('Enforcer.admit, memory, 5,000 requests in the last minute', [full.memory], 'in process, 500 calls')
  admitRow('the same without tpm', [full.memoryNoTpm], 'in process, 500 calls')
  admitRow('Enforcer.admit, Redis, 5,000 requests in the last minute', [full.redis], 'in process, 500 calls')
  admitRow('the same without tpm', [full.redisNoTpm], 'in process, 500 calls')
  const e2eRow = (label: string, runs: Interleaved[]) => {
    const added = (p: 'p50' | 'p99') => range(runs, (x) => x[p].limited - x[p].free, 1)
    const both = (p: 'p50' | 'p99') =>
      `${range(runs, (x) => x[p].limited, 0)} vs ${range(runs, (x) => x[p].free, 0)} (${p})`
    const how = `c=1, ${PAIRS} interleaved pairs × ${ROUNDS}: limited ${both('p50')}, ${both('p99')}`
    console.log(`| added through the gateway, ${label} | ${added('p50')} | ${added('p99')} | ${how} |`)
  }
  e2eRow('memory', r.e2e.memory)
  e2eRow('Redis', r.e2e.redis)
}

function reportTargets(r: Results): void {
  const over = (runs: BudgetRun[]) => Math.max(...runs.map((b) => b.overshootUsd))
  const wrong = (runs: BudgetRun[]) => runs.reduce((n, b) => n + b.wrong.length, 0)
  const worst = (t: AdmitTiming[]) => Math.max(...t.map((x) => x.p50))
  const e2e = (runs: Interleaved[]) => Math.max(...runs.map((x) => x.p50.limited - x.p50.free))
  const rpmOk = r.rpm.every((x) => x.admitted === RPM && !x.wrong.length)
  const targets: Array<[string, string, boolean]> = [
    [
      `overshoot $0.00 in ${RUNS} runs, memory`,
      `max $${over(r.budget.memory).toFixed(6)}, ${wrong(r.budget.memory)} wrong answers`,
      over(r.budget.memory) <= EPSILON && !wrong(r.budget.memory),
    ],
    [
      `overshoot $0.00 in ${RUNS} runs, 2 replicas on Redis`,
      `max $${over(r.budget.redis).toFixed(6)}, ${wrong(r.budget.redis)} wrong answers`,
      over(r.budget.redis) <= EPSILON && !wrong(r.budget.redis),
    ],
    [`rpm ${RPM} across 2 replicas admits exactly ${RPM}`, r.rpm.map((x) => x.admitted).join(', '), rpmOk],
    ['check p50 ≤ 50 µs, memory (in process)', `${worst(r.admit.memory).toFixed(1)} µs`, worst(r.admit.memory) <= 50],
    ['check p50 ≤ 50 µs, memory (through the gateway)', `${e2e(r.e2e.memory).toFixed(1)} µs`, e2e(r.e2e.memory) <= 50],
    [
      'check p50 ≤ 0.5 ms, Redis on loopback (in process)',
      `${(worst(r.admit.redis) / 1000).toFixed(3)} ms`,
      worst(r.admit.redis) <= 500,
    ],
    [
      'check p50 ≤ 0.5 ms, Redis on loopback (through the gateway)',
      `${(e2e(r.e2e.redis) / 1000).toFixed(3)} ms`,
      e2e(r.e2e.redis) <= 500,
    ],
  ]
  console.log('\n| target | measured (worst run) | |\n|---|---:|---|')
  for (const [name, value, ok] of targets) console.log(`| ${name} | ${value} | ${ok ? 'PASS' : 'MISS'} |`)
}

async function main(): Promise<void> {
  requireRedisServer()
  execFileSync(process.execPath, [join(ROOT, 'gateway/scripts/bundle.mjs')], { stdio: 'inherit' })
  await buildExplorerIfStale(createLogger('warn'))
  const redisServer = await startRedisServer()
  const mock = await startNode(join(ROOT, 'bench/mock-server.ts'), [], { ready: /(http:\/\/\S+)/ })
  const redis = new Redis(redisServer.port, '127.0.0.1')
  try {
    report(await measure(mock.url, redisServer.url, redis))
  } finally {
    redis.disconnect()
    await stop(mock)
    redisServer.child.kill('SIGTERM')
  }
}

try {
  await main()
} finally {
  rmSync(dir, { recursive: true, force: true })
}
