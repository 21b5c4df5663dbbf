/**
 * `npm run bench:query`: explorer query speed on BENCH_SPANS synthetic spans (default 10 million)
 * over 30 days, seeded through the gateway's own span writer (spool, batched inserts, the rollup
 * view), then every query the overview, explore, incidents and traces pages send, timed over
 * HTTP against the running gateway with the embedded engine. BENCH_DATA_DIR keeps the data
 * between runs (seeding is skipped when it is already there); BENCH_ONLY=<regex> times only the
 * queries whose page and name match.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig } from '../gateway/src/config/load.ts'
import { createLogger } from '../gateway/src/log.ts'
import { startGateway } from '../gateway/src/app.ts'
import { percentile } from './percentile.ts'
import { count, DAY, DAYS, INCIDENT, seedSpans, settleMerges, SPANS } from './query-seed.ts'

const RUNS = Number(process.env.BENCH_RUNS ?? 20)

interface Case {
  page: string
  name: string
  run: () => Promise<Response>
  runs?: number
}

function cases(url: string, end: number, traceIds: string[]): Case[] {
  const iso = (ms: number) => new Date(ms).toISOString()
  const q = (page: string, name: string, days: number, body: object): Case => ({
    page,
    name,
    run: () =>
      fetch(`${url}/api/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: iso(end - days * DAY), to: iso(end), ...body }),
      }),
  })
  const kpis = [
    'requests',
    'error_rate',
    'p50_latency_ms',
    'p95_latency_ms',
    'ttft_p50_ms',
    'input_tokens',
    'output_tokens',
    'cost_usd',
  ]
  const out: Case[] = []
  for (const [days, interval] of [
    [1, '15m'],
    [30, '1d'],
  ] as const) {
    const r = `${days === 1 ? '24h' : '30d'}`
    out.push(q('overview', `KPIs ${r}`, days, { metrics: kpis }))
    out.push(q('overview', `unpriced requests ${r} (raw spans)`, days, { metrics: ['unpriced_requests'] }))
    out.push(
      q('overview', `requests by outcome ${r}`, days, {
        interval,
        group_by: ['outcome'],
        metrics: ['requests'],
        limit: 10_000,
      }),
    )
    out.push(
      q('overview', `latency + cost series ${r}`, days, {
        interval,
        metrics: ['p50_latency_ms', 'p95_latency_ms', 'p99_latency_ms', 'cost_usd'],
        limit: 10_000,
      }),
    )
    for (const d of ['model', 'provider', 'team', 'workflow'])
      out.push(
        q('overview', `top ${d}s ${r}`, days, {
          group_by: [d],
          metrics: ['requests', 'cost_usd', 'error_rate'],
          order_by: 'cost_usd',
          limit: 5,
        }),
      )
  }
  const m = ['requests', 'error_rate', 'p95_latency_ms', 'cost_usd']
  out.push(q('explore', 'by team 30d', 30, { group_by: ['team'], metrics: m, limit: 500 }))
  out.push(
    q('explore', 'by team over time 30d', 30, {
      interval: '1d',
      group_by: ['team'],
      metrics: ['cost_usd'],
      limit: 10_000,
    }),
  )
  out.push(
    q('explore', 'by team x model, filtered 30d', 30, {
      group_by: ['team', 'model'],
      metrics: m,
      filters: [
        { dimension: 'provider', op: 'eq', value: 'openai' },
        { dimension: 'workflow', op: 'neq', value: 'workflow-0' },
      ],
      limit: 500,
    }),
  )
  out.push(
    q('explore', 'all metrics by key 30d (raw spans)', 30, {
      group_by: ['key'],
      metrics: ['requests', 'p99_latency_ms', 'ttft_p50_ms', 'retries', 'fallbacks', 'cost_per_request'],
      limit: 500,
    }),
  )
  out.push(q('explore', 'by user 7d (raw spans)', 7, { group_by: ['user'], metrics: m, limit: 500 }))
  out.push(q('explore', 'by user 30d (raw spans)', 30, { group_by: ['user'], metrics: m, limit: 500 }))
  out.push(q('explore', 'by meta:tenant 30d (raw spans)', 30, { group_by: ['meta:tenant'], metrics: m, limit: 500 }))
  out.push(q('explore', 'by tag 30d (raw spans)', 30, { group_by: ['tag'], metrics: m, limit: 500 }))
  out.push({
    page: 'explore',
    name: 'metadata names (last 7 d of 30 d)',
    run: () => fetch(`${url}/api/meta-keys?from=${iso(end - 30 * DAY)}&to=${iso(end)}`),
  })
  out.push({
    page: 'reports',
    name: 'cost by team 30d (priced/unpriced from raw spans)',
    run: () => fetch(`${url}/api/reports/cost?from=${iso(end - 30 * DAY)}&to=${iso(end)}&group_by=team`),
  })
  // The incidents page is one request: detection, per-attempt health and request results.
  for (const [name, ms] of [
    ['1h around the seeded incident', 3_600_000],
    ['24h', DAY],
    ['7d', 7 * DAY],
  ] as const) {
    const to = name.startsWith('1h') ? end - INCIDENT.startBeforeEnd + 40 * 60_000 : end
    out.push({
      page: 'incidents',
      name,
      run: () => fetch(`${url}/api/incidents?${new URLSearchParams({ from: iso(to - ms), to: iso(to) })}`),
    })
  }
  // The compare page: sampled requests are found by their attribute, so each range reads its spans' attributes.
  for (const [name, days] of [
    ['24h', 1],
    ['7d', 7],
    ['30d', 30],
  ] as const)
    out.push({
      page: 'compare',
      name,
      run: () => fetch(`${url}/api/compare?${new URLSearchParams({ from: iso(end - days * DAY), to: iso(end) })}`),
    })
  const list = (name: string, params: string): Case => ({
    page: 'traces',
    name,
    run: () => fetch(`${url}/api/traces?from=${iso(end - DAY)}&to=${iso(end)}&limit=50${params}`),
  })
  out.push(list('first page 24h', ''))
  out.push(list('errors of one provider 24h', '&provider=anthropic&status=error'))
  out.push(list('search by model text 24h', '&q=haiku'))
  let n = 0
  // Cheap enough for a real sample: 100 different traces, so p95 is not just the slowest of a few.
  out.push({
    page: 'trace',
    name: 'trace by id (100 different traces)',
    runs: 100,
    run: () => fetch(`${url}/api/traces/${traceIds[n++ % traceIds.length]}`),
  })
  return out
}

async function main(): Promise<void> {
  const keep = process.env.BENCH_DATA_DIR
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'tracegate-bench-query-'))
  const config = parseConfig(
    {
      server: { host: '127.0.0.1', port: 0 },
      log_level: 'warn',
      storage: { data_dir: dir, batch_rows: 50_000, flush_ms: 1000, retention_days: 400 },
    },
    process.env,
  )
  const gw = await startGateway(config, { log: createLogger('warn') })
  // The data ends at a fixed minute so a kept data dir is queried over the same 30 days.
  const end = Math.floor(Date.now() / DAY) * DAY
  try {
    const have = await count(gw)
    if (have < SPANS * 0.99) await seedSpans(gw, end)
    else console.log(`  using ${have.toLocaleString()} spans already in ${dir}`)
    await settleMerges(gw)
    const seededEnd = keep
      ? Number(
          (
            await (
              await gw.store.client.query({
                query: `SELECT toUnixTimestamp64Milli(max(Timestamp)) AS t FROM ${gw.store.database}.spans`,
                format: 'JSONEachRow',
              })
            ).json<{ t: string }>()
          )[0]!.t,
        ) + 60_000
      : end
    const ids = await (
      await gw.store.client.query({
        query: `SELECT TraceId FROM ${gw.store.database}.spans WHERE SpanKind = 'Server' ORDER BY cityHash64(SpanId) LIMIT 102`,
        format: 'JSONEachRow',
      })
    ).json<{ TraceId: string }>()
    const total = await count(gw)
    console.log(
      `\n${total.toLocaleString()} spans over ${DAYS} days; ${RUNS} timed runs per query (unless named) after 2 warm-ups, one at a time, over HTTP\n`,
    )
    console.log('| page | query | p50 ms | p95 ms | max ms | rows |\n|---|---|---:|---:|---:|---:|')
    const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY, 'i') : null
    for (const c of cases(
      gw.url,
      seededEnd,
      ids.map((r) => r.TraceId),
    ).filter((x) => !only || only.test(`${x.page} ${x.name}`))) {
      const times: number[] = []
      let rows = 0
      for (let i = 0; i < (c.runs ?? RUNS) + 2; i++) {
        const t = performance.now()
        const res = await c.run()
        const body = (await res.json()) as {
          rows?: unknown[]
          traces?: unknown[]
          spans?: unknown[]
          keys?: unknown[]
          incidents?: unknown[]
        }
        if (!res.ok) throw new Error(`${c.name}: HTTP ${res.status} ${JSON.stringify(body)}`)
        if (i >= 2) times.push(performance.now() - t)
        rows = (body.rows ?? body.traces ?? body.spans ?? body.keys ?? body.incidents ?? []).length
      }
      times.sort((a, b) => a - b)
      console.log(
        `| ${c.page} | ${c.name} | ${percentile(times, 50).toFixed(1)} | ${percentile(times, 95).toFixed(1)} | ${times.at(-1)!.toFixed(1)} | ${rows} |`,
      )
    }
  } finally {
    await gw.close()
    if (!keep) rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
