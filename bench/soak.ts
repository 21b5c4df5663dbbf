/**
 * `npm run soak`: a bounded run (SOAK_SECONDS, default 300; loopback only) at a fixed rate
 * (SOAK_RPS, default 40) with faults mixed in: upstream errors on 5% of requests, a storage outage
 * from 30% to 50% of the run, and a SIGKILL of the gateway at 70% followed by a restart. A client-side
 * ledger of every answered request is compared with ClickHouse at the end.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { startMockUpstream } from '../test/mock-upstream.ts'
import { spawnGateway, type SpawnedGateway } from '../test/spawn-gateway.ts'

const SECONDS = Number(process.env.SOAK_SECONDS ?? 300)
const RPS = Number(process.env.SOAK_RPS ?? 40)

interface Entry {
  id: string
  at: number
  status: number
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'tracegate-soak-'))
  const mock = await startMockUpstream()
  setInterval(() => (mock.calls.length = 0), 1000).unref()
  writeFileSync(join(dir, 'tracegate.yaml'), `providers:\n  openai: { base_url: "${mock.url}/v1" }\n`)
  // The fault endpoint exists only with an admin token; the explorer API then needs it too.
  const token = randomBytes(16).toString('hex')
  const auth = { authorization: `Bearer ${token}` }
  const env = { PORT: '0', TRACEGATE_DATA_DIR: join(dir, 'data'), TRACEGATE_FAULTS: '1', TRACEGATE_ADMIN_TOKEN: token }
  let gw: SpawnedGateway = spawnGateway([], env, dir)
  let url = await gw.ready()
  const agent = new Agent({ connections: 64 })
  const ledger: Entry[] = []
  let sent = 0
  let failed = 0
  let killedAt: number
  const events: string[] = []
  let faultRefused = false
  const fault = async (storage: string) => {
    const res = await request(`${url}/debug/faults`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ storage }),
    })
    // A refused fault means the run did not stage the outage it reports on: say so and fail the run.
    if (res.statusCode !== 200) {
      faultRefused = true
      events.push(`fault ${storage} refused: ${res.statusCode} ${await res.body.text()}`)
    } else await res.body.dump()
  }

  const one = async (i: number) => {
    sent++
    const stream = i % 3 === 0
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-tracegate-workflow': 'soak' }
    if (i % 20 === 7) headers['x-mock-status'] = '503'
    try {
      const res = await request(`${url}/v1/chat/completions`, {
        method: 'POST',
        dispatcher: agent,
        headers,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
        body: JSON.stringify({ model: 'gpt-4o', stream, messages: [{ role: 'user', content: `soak ${i}` }] }),
      })
      await res.body.text()
      ledger.push({ id: String(res.headers['x-tracegate-trace-id']), at: Date.now(), status: res.statusCode })
    } catch {
      failed++ // the gateway was down (killed): not answered, not in the ledger
    }
  }

  const start = Date.now()
  const inflight = new Set<Promise<void>>()
  const phase = { detached: false, attached: false, killed: false }
  for (let i = 0; Date.now() - start < SECONDS * 1000; i++) {
    const due = start + (i * 1000) / RPS
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()))
    const progress = (Date.now() - start) / (SECONDS * 1000)
    if (progress >= 0.3 && !phase.detached) {
      phase.detached = true
      await fault('detached')
      events.push(`${(progress * 100).toFixed(0)}%: storage detached`)
    }
    if (progress >= 0.5 && !phase.attached) {
      phase.attached = true
      await fault('attached')
      events.push(`${(progress * 100).toFixed(0)}%: storage attached`)
    }
    if (progress >= 0.7 && !phase.killed) {
      phase.killed = true
      killedAt = Date.now()
      gw.child.kill('SIGKILL')
      await gw.exited
      gw = spawnGateway([], env, dir)
      url = await gw.ready()
      events.push(`${(progress * 100).toFixed(0)}%: gateway SIGKILLed, restarted in ${Date.now() - killedAt} ms`)
    }
    const p = one(i).finally(() => inflight.delete(p))
    inflight.add(p)
  }
  await Promise.all(inflight)

  // Wait for the spool to drain, then compare the ledger with what ClickHouse holds.
  const until = Date.now() + 120_000
  for (;;) {
    const ready = (await (await fetch(`${url}/readyz`)).json()) as {
      spans: { spool_segments: number; pending: number }
    }
    if ((ready.spans.spool_segments === 0 && ready.spans.pending === 0) || Date.now() > until) break
    await new Promise((r) => setTimeout(r, 500))
  }
  let found = 0
  let missing = 0
  let duplicated = 0
  for (let i = 0; i < ledger.length; i += 32) {
    await Promise.all(
      ledger.slice(i, i + 32).map(async (e) => {
        const res = await fetch(`${url}/api/traces/${e.id}`, { headers: auth })
        const n = res.ok ? ((await res.json()) as { spans: unknown[] }).spans.length : 0
        found += Math.min(n, 2)
        if (n < 2) missing++
        if (n > 2) duplicated++
      }),
    )
  }
  gw.child.kill('SIGTERM')
  await gw.exited
  await agent.close()
  await mock.close()
  rmSync(dir, { recursive: true, force: true })

  const errors = ledger.filter((e) => e.status !== 200).length
  console.log(`soak: ${SECONDS}s at ${RPS} req/s; ${events.join('; ')}`)
  console.log(
    '| requests sent | answered | of which upstream errors | not answered (gateway down) | spans expected | found | traces missing | traces duplicated |',
  )
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|')
  console.log(
    `| ${sent} | ${ledger.length} | ${errors} | ${failed} | ${ledger.length * 2} | ${found} | ${missing} | ${duplicated} |`,
  )
  process.exitCode = missing || duplicated || faultRefused ? 1 : 0
}

await main()
