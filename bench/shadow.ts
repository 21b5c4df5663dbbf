/**
 * `npm run bench:shadow`: what shadow traffic costs the requests it shadows. One gateway bundle
 * (as `npm start` runs it, embedded engine) per sample rate, an alias `bot` on the mock upstream
 * shadowed to another model at that rate; c=1 latency and c=32 throughput through it, side by side.
 * Prints, per rate, p50/p99 at c=1, requests/s at c=32 and the shadow calls made and dropped.
 * BENCH_SECONDS (5) sets each run; BENCH_SHADOW_RATES (0,0.1,1) the rates.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadGenerator, run } from './load.ts'
import { ROOT, startEnv, startFlags, startNode, stop, type Started } from './processes.ts'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const RATES = (process.env.BENCH_SHADOW_RATES ?? '0,0.1,1').split(',').map(Number)
const body = JSON.stringify({ model: 'bot', messages: [{ role: 'user', content: 'Say hello in five words.' }] })
const dir = mkdtempSync(join(tmpdir(), 'tracegate-bench-shadow-'))

function config(mockUrl: string, rate: number): string {
  const file = join(dir, `tracegate-${rate}.yaml`)
  writeFileSync(
    file,
    [
      'providers:',
      `  openai: { base_url: "${mockUrl}/v1", api_key: sk-operator }`,
      // The load's bearer key as a gateway key: a caller's own provider key is never shadowed.
      'keys: [{ key: sk-bench, name: bench }]',
      'models:',
      '  - name: bot',
      '    targets: [{ provider: openai, model: gpt-4o }]',
      `    shadow: { targets: [{ provider: openai, model: gpt-4o-mini }], sample: ${rate} }`,
      '',
    ].join('\n'),
  )
  return file
}

/** The shadow counters from /metrics: calls made (by result) and dropped. */
async function shadowCounts(gw: Started): Promise<{ calls: number; dropped: number }> {
  const text = await (await fetch(`${gw.url}/metrics`)).text()
  const sum = (re: RegExp) => [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0)
  return {
    calls: sum(/^tracegate_shadow_calls_total\{[^}]*\} (\d+)/gm),
    dropped: sum(/^tracegate_shadow_dropped_total (\d+)/gm),
  }
}

async function main(): Promise<void> {
  execFileSync(process.execPath, [join(ROOT, 'gateway/scripts/bundle.mjs')], { stdio: 'inherit' })
  const mock = await startNode(join(ROOT, 'bench/mock-server.ts'), [], { ready: /(http:\/\/\S+)/ })
  const rows: string[] = []
  try {
    for (const rate of RATES) {
      const gw = await startNode(join(ROOT, 'gateway/dist/main.mjs'), ['--config', config(mock.url, rate)], {
        env: { ...startEnv(), PORT: '0', TRACEGATE_DATA_DIR: join(dir, `data-${rate}`) },
        ready: /listening on (http:\/\/[^"\s]+)/,
        nodeArgs: startFlags(),
      })
      try {
        const load = { url: gw.url, path: '/v1/chat/completions', body }
        await run({ ...load, connections: 8, seconds: 2 }) // warm-up
        const c1 = await run({ ...load, connections: 1, seconds: SECONDS })
        const c32 = await run({ ...load, connections: 32, seconds: SECONDS })
        const counts = await shadowCounts(gw)
        rows.push(
          `| ${rate} | ${c1.p50.toFixed(3)} | ${c1.p99.toFixed(3)} | ${Math.round(c32.rps)} | ${counts.calls} | ${counts.dropped} |`,
        )
      } finally {
        await stop(gw)
      }
    }
  } finally {
    await stop(mock)
    rmSync(dir, { recursive: true, force: true })
  }
  console.log(`\nshadow traffic through tracegate; load from ${loadGenerator}, ${SECONDS} s per run\n`)
  console.log('| sample | c=1 p50 ms | c=1 p99 ms | c=32 requests/s | shadow calls | dropped |')
  console.log('|---:|---:|---:|---:|---:|---:|')
  for (const r of rows) console.log(r)
}

await main()
