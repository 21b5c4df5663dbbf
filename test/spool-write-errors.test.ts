import { describe, expect, it } from 'vitest'
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { until, useSpawnedGateway } from './harness.ts'

/**
 * The spool directory is the one piece of storage on the request path: when it vanishes or a
 * file sits where it was, the gateway must keep answering, hold the spans in memory (up to
 * spool.max_memory_rows, beyond that count them as dropped), say so, and heal by itself.
 */
/** The fault endpoint that stages the ClickHouse outage needs the admin token. */
const ADMIN = 'spool-errors-admin-token'
const auth = { authorization: `Bearer ${ADMIN}` }
const env = useSpawnedGateway(
  (mock) => ({
    providers: { openai: { base_url: `${mock.url}/v1` } },
    storage: { flush_ms: 100 },
    spool: { max_memory_rows: 30 },
  }),
  { args: ['--config', 'tracegate.yaml'], adminToken: ADMIN, faults: true },
)

const spoolDir = () => join(env.dataDir, 'spool')
const send = async (team: string) => {
  const res = await env.post(
    '/v1/chat/completions',
    { model: 'gpt-4o', messages: [{ role: 'user', content: `spool errors ${team}` }] },
    { 'x-tracegate-team': team },
  )
  expect(res.status).toBe(200)
  await res.json()
  return res.headers.get('x-tracegate-trace-id')!
}
const fault = (storage: 'detached' | 'attached') => env.post('/debug/faults', { storage }, auth)
const spansOf = async (id: string) => {
  const res = await fetch(`${env.url}/api/traces/${id}`, { headers: auth })
  return res.status === 200 ? ((await res.json()) as { spans: unknown[] }).spans.length : 0
}
const metric = async (name: string) => {
  const families = parsePrometheusTextFormat(await (await fetch(`${env.url}/metrics`)).text())
  return Number(families.find((f) => f.name === name)?.metrics[0]?.value)
}

describe('spool write errors', () => {
  it('a deleted spool directory is recreated by the next span; nothing is lost, the gateway keeps running', async () => {
    rmSync(spoolDir(), { recursive: true, force: true })
    const ids = [await send('deleted'), await send('deleted')]
    await until('spans written', async () => (await env.readyz()).body.spans.pending === 0)
    expect(env.proc.child.exitCode).toBeNull()
    expect(existsSync(spoolDir())).toBe(true)
    for (const id of ids) expect(await spansOf(id)).toBe(2)
  })

  it('a file where the spool was: requests answered, 30 spans held in memory, the rest counted as dropped; all held spans land once it heals', async () => {
    expect((await fault('detached')).status).toBe(200)
    rmSync(spoolDir(), { recursive: true, force: true })
    writeFileSync(spoolDir(), 'not a directory')
    const ids: string[] = []
    for (let i = 0; i < 20; i++) ids.push(await send('held'))
    await until('20 requests recorded', async () => {
      const s = (await env.readyz()).body.spans
      return s.memory_rows + s.dropped === 40
    })
    expect(env.proc.child.exitCode).toBeNull()

    const { code, body } = await env.readyz()
    expect(code).toBe(503)
    expect(body.status).toBe('not_ready')
    expect(body.reasons.map((r) => r.code)).toEqual(['spans_table_missing', 'spans_dropping', 'spool_unwritable'])
    expect(body.spans).toMatchObject({ memory_rows: 30, dropped: 10, pending: 30, spool_writable: false })
    expect(body.spans.spool_write_errors).toBeGreaterThan(0)
    expect(await metric('tracegate_spans_in_memory')).toBe(30)
    expect(await metric('tracegate_spans_dropped_total')).toBe(10)
    // Still counting: the spool is retried every second while spans wait in memory.
    expect(await metric('tracegate_spool_write_errors_total')).toBeGreaterThanOrEqual(body.spans.spool_write_errors)
    // Logged, but not once per span or per retry.
    const errorLines = env.proc
      .out()
      .split('\n')
      .filter((l) => l.includes('spool cannot be written'))
    expect(errorLines.length).toBeGreaterThan(0)
    expect(errorLines.length).toBeLessThanOrEqual(2)

    // The disk heals: held spans go to the spool by themselves, then to ClickHouse once it is back.
    rmSync(spoolDir())
    await until('held spans spooled', async () => (await env.readyz()).body.spans.memory_rows === 0)
    expect(readdirSync(spoolDir()).filter((f) => f.endsWith('.seg')).length).toBeGreaterThan(0)
    expect((await fault('attached')).status).toBe(200)
    await until('spool drained', async () => (await env.readyz()).body.spans.pending === 0)

    const counts = await Promise.all(ids.map(spansOf))
    expect(counts).toEqual([...Array(15).fill(2), ...Array(5).fill(0)])
    const after = await env.readyz()
    expect(after.body.spans).toMatchObject({ memory_rows: 0, dropped: 10, spool_writable: true })
    expect(after.body.reasons.map((r) => r.code)).toEqual(['spans_dropping'])
  }, 90_000)

  it('segments deleted while ClickHouse is away are lost, and counted as dropped, not silently', async () => {
    expect((await fault('detached')).status).toBe(200)
    const before = (await env.readyz()).body.spans
    const id = await send('deleted-during-outage')
    // Once an insert failed, the segment's rows are only on disk (an outage costs disk, not memory).
    await until('insert failed', async () => (await env.readyz()).body.spans.failed_inserts > before.failed_inserts)
    rmSync(spoolDir(), { recursive: true, force: true })
    expect((await fault('attached')).status).toBe(200)
    await until('queue empty', async () => (await env.readyz()).body.spans.pending === 0)
    expect((await env.readyz()).body.spans.dropped).toBe(before.dropped + 2)
    expect(await spansOf(id)).toBe(0)
    const lost = env.proc
      .out()
      .split('\n')
      .filter((l) => l.includes('spool segment was deleted before ClickHouse took it: its spans are lost'))
      .map((l) => JSON.parse(l))
    expect(lost.map((l) => l.spans)).toEqual([2])
    expect(env.proc.child.exitCode).toBeNull()
  })

  it('after all of it, SIGTERM still exits 0', async () => {
    env.proc.child.kill('SIGTERM')
    const code = await env.proc.exited
    // The signal, when one ended it, says more than a null exit code (a SIGSEGV at exit was seen once).
    expect({ code, signal: env.proc.child.signalCode }).toEqual({ code: 0, signal: null })
  })
})
