import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { startMockUpstream, type MockUpstream } from './mock-upstream.ts'
import { gatewayWorkdir, spawnGateway, type GatewayWorkdir, type SpawnedGateway } from './spawn-gateway.ts'

/**
 * The spool directory is the one piece of storage on the request path: when it vanishes or a
 * file sits where it was, the gateway must keep answering, hold the spans in memory (up to
 * spool.max_memory_rows, beyond that count them as dropped), say so, and heal by itself.
 */
let mock: MockUpstream
let work: GatewayWorkdir
let gw: SpawnedGateway
let url: string
/** The fault endpoint that stages the ClickHouse outage needs the admin token. */
const ADMIN = 'spool-errors-admin-token'
const auth = { authorization: `Bearer ${ADMIN}` }

beforeAll(async () => {
  mock = await startMockUpstream()
  work = gatewayWorkdir(mock.url, 'tracegate-spool-errors-')
  writeFileSync(
    join(work.dir, 'tracegate.yaml'),
    [
      `providers:\n  openai: { base_url: "${mock.url}/v1" }`,
      'storage: { flush_ms: 100 }',
      'spool: { max_memory_rows: 30 }',
    ].join('\n'),
  )
  gw = spawnGateway(
    ['--config', 'tracegate.yaml'],
    { ...work.env, TRACEGATE_FAULTS: '1', TRACEGATE_ADMIN_TOKEN: ADMIN },
    work.dir,
  )
  url = await gw.ready()
})
afterAll(async () => {
  if (gw?.child.exitCode === null) gw.child.kill('SIGKILL')
  await mock?.close()
  work?.cleanup()
})

interface Ready {
  status: string
  reasons: Array<{ code: string }>
  spans: {
    pending: number
    dropped: number
    failed_inserts: number
    memory_rows: number
    spool_write_errors: number
    spool_writable: boolean
  }
}

const spoolDir = () => join(work.dir, 'data', 'spool')
const readyz = async () => {
  const res = await fetch(`${url}/readyz`)
  return { code: res.status, body: (await res.json()) as Ready }
}
const send = async (team: string) => {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tracegate-team': team },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: `spool errors ${team}` }] }),
  })
  expect(res.status).toBe(200)
  await res.json()
  return res.headers.get('x-tracegate-trace-id')!
}
const until = async (what: string, check: () => Promise<boolean>) => {
  const end = Date.now() + 30_000
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what}: not reached in 30 s`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
const fault = (storage: 'detached' | 'attached') =>
  fetch(`${url}/debug/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ storage }),
  })
const spansOf = async (id: string) => {
  const res = await fetch(`${url}/api/traces/${id}`, { headers: auth })
  return res.status === 200 ? ((await res.json()) as { spans: unknown[] }).spans.length : 0
}
const metric = async (name: string) => {
  const families = parsePrometheusTextFormat(await (await fetch(`${url}/metrics`)).text())
  return Number(families.find((f) => f.name === name)?.metrics[0]?.value)
}

describe('spool write errors', () => {
  it('a deleted spool directory is recreated by the next span; nothing is lost, the gateway keeps running', async () => {
    rmSync(spoolDir(), { recursive: true, force: true })
    const ids = [await send('deleted'), await send('deleted')]
    await until('spans written', async () => (await readyz()).body.spans.pending === 0)
    expect(gw.child.exitCode).toBeNull()
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
      const s = (await readyz()).body.spans
      return s.memory_rows + s.dropped === 40
    })
    expect(gw.child.exitCode).toBeNull()

    const { code, body } = await readyz()
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
    const errorLines = gw
      .out()
      .split('\n')
      .filter((l) => l.includes('spool cannot be written'))
    expect(errorLines.length).toBeGreaterThan(0)
    expect(errorLines.length).toBeLessThanOrEqual(2)

    // The disk heals: held spans go to the spool by themselves, then to ClickHouse once it is back.
    rmSync(spoolDir())
    await until('held spans spooled', async () => (await readyz()).body.spans.memory_rows === 0)
    expect(readdirSync(spoolDir()).filter((f) => f.endsWith('.seg')).length).toBeGreaterThan(0)
    expect((await fault('attached')).status).toBe(200)
    await until('spool drained', async () => (await readyz()).body.spans.pending === 0)

    const counts = await Promise.all(ids.map(spansOf))
    expect(counts).toEqual([...Array(15).fill(2), ...Array(5).fill(0)])
    const after = await readyz()
    expect(after.body.spans).toMatchObject({ memory_rows: 0, dropped: 10, spool_writable: true })
    expect(after.body.reasons.map((r) => r.code)).toEqual(['spans_dropping'])
  }, 90_000)

  it('segments deleted while ClickHouse is away are lost, and counted as dropped, not silently', async () => {
    expect((await fault('detached')).status).toBe(200)
    const before = (await readyz()).body.spans
    const id = await send('deleted-during-outage')
    // Once an insert failed, the segment's rows are only on disk (an outage costs disk, not memory).
    await until('insert failed', async () => (await readyz()).body.spans.failed_inserts > before.failed_inserts)
    rmSync(spoolDir(), { recursive: true, force: true })
    expect((await fault('attached')).status).toBe(200)
    await until('queue empty', async () => (await readyz()).body.spans.pending === 0)
    expect((await readyz()).body.spans.dropped).toBe(before.dropped + 2)
    expect(await spansOf(id)).toBe(0)
    const lost = gw
      .out()
      .split('\n')
      .filter((l) => l.includes('spool segment was deleted before ClickHouse took it: its spans are lost'))
      .map((l) => JSON.parse(l))
    expect(lost.map((l) => l.spans)).toEqual([2])
    expect(gw.child.exitCode).toBeNull()
  })

  it('after all of it, SIGTERM still exits 0', async () => {
    gw.child.kill('SIGTERM')
    expect(await gw.exited).toBe(0)
  })
})
