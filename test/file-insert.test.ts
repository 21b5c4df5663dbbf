import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig } from '../gateway/src/config/load.ts'
import { createLogger } from '../gateway/src/log.ts'
import { openStore, type Store } from '../gateway/src/storage/client.ts'
import { insertSpans, spoolPayload } from '../gateway/src/storage/insert.ts'
import { migrate } from '../gateway/src/storage/migrate.ts'
import { spanRowLine } from '../gateway/src/storage/span-row.ts'
import { requestRows } from './span-fixtures.ts'

const dir = mkdtempSync(join(tmpdir(), 'tracegate-file-insert-'))
const inserts = join(dir, 'inserts')
// A process that lives through the test: its insert files must survive our start.
const neighbour = spawn('sleep', ['60'], { stdio: 'ignore' })
const deadPid = 2 ** 22 + 17 // above Linux's pid_max default range for a live process here
let store: Store

beforeAll(async () => {
  mkdirSync(inserts, { recursive: true })
  for (const name of [`${deadPid}-1.jsonl`, `${process.pid}-3.jsonl`, `${neighbour.pid}-1.jsonl`, 'junk'])
    writeFileSync(join(inserts, name), '[]\n')
  store = await openStore(parseConfig({ storage: { data_dir: dir } }, {}))
  await migrate(store, 30, createLogger('silent'))
})
afterAll(async () => {
  neighbour.kill()
  await store?.close()
  rmSync(dir, { recursive: true, force: true })
})

const rows = (n: number, from = 0) => {
  const lines: string[] = []
  for (let i = from; lines.length < n; i++)
    for (const r of requestRows(i.toString(16).padStart(32, '0'))) lines.push(spanRowLine(r))
  return spoolPayload(lines)
}
const count = async () => {
  const rs = await store.client.query({ query: 'SELECT count() AS n FROM tracegate.spans', format: 'JSONEachRow' })
  return Number(((await rs.json()) as Array<{ n: string }>)[0]!.n)
}

/**
 * The embedded engine reads each batch from a file in `<data_dir>/inserts`: chDB's in-memory insert
 * passes the bytes as the query's text, of which the engine holds several copies while it runs.
 */
describe('inserts into the embedded engine, by way of a file', () => {
  it("removes what dead processes left, and its own pid's leftovers, but not a live neighbour's files", () => {
    expect(readdirSync(inserts).sort()).toEqual([`${neighbour.pid}-1.jsonl`])
  })

  it('lands every row, leaves no file behind, and a retry with the same token adds nothing', async () => {
    await insertSpans(store, [rows(1000)], 'file-insert-a')
    expect(await count()).toBe(1000)
    await insertSpans(store, [rows(1000)], 'file-insert-a')
    expect(await count()).toBe(1000)
    expect(readdirSync(inserts)).toEqual([`${neighbour.pid}-1.jsonl`])
  })

  it('a batch the engine cannot parse fails with its ClickHouse code, and its file is removed too', async () => {
    const bad = Buffer.from(
      rows(2, 5000)
        .toString()
        .replace(/"\d{4}-\d\d-\d\d [^"]*"/, '"not a time"'),
    )
    const err = (await insertSpans(store, [bad], 'file-insert-bad').catch((e: unknown) => e)) as { code?: string }
    expect(err).toBeInstanceOf(Error)
    expect(Number(err.code)).toBeGreaterThan(0)
    expect(readdirSync(inserts)).toEqual([`${neighbour.pid}-1.jsonl`])
    expect(existsSync(join(inserts, `${neighbour.pid}-1.jsonl`))).toBe(true)
  })

  it('with its directory gone, a batch still lands (from memory), and the directory is made again', async () => {
    rmSync(inserts, { recursive: true, force: true })
    await insertSpans(store, [rows(100, 20_000)], 'file-insert-no-dir')
    expect(await count()).toBe(1100)
    expect(readdirSync(inserts)).toEqual([])
    await insertSpans(store, [rows(100, 30_000)], 'file-insert-dir-back')
    expect(await count()).toBe(1200)
    expect(readdirSync(inserts)).toEqual([])
  })

  it("holds well under the 55-61 MB of engine memory a 10,000-row batch took as the query's text", async () => {
    const { Session } = createRequire(import.meta.url)('chdb') as {
      Session: new (path: string) => { query: (q: string, f: string) => { toString(): string }; close: () => void }
    }
    const probe = new Session(store.path)
    const tracked = () =>
      Number(probe.query("SELECT value FROM system.metrics WHERE metric = 'MemoryTracking'", 'TSV').toString()) /
      2 ** 20
    const batch = rows(10_000, 10_000)
    const base = tracked()
    let peak = base
    const timer = setInterval(() => (peak = Math.max(peak, tracked())), 2)
    await insertSpans(store, [batch], 'file-insert-big')
    clearInterval(timer)
    probe.close()
    expect(await count()).toBe(11_200)
    // 19-22 MB read from a file (6.5 MB of rows); the in-memory insert measured 55-61.
    expect(peak - base).toBeLessThan(40)
  })
})
