import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig } from '../gateway/src/config/load.ts'
import { createLogger } from '../gateway/src/log.ts'
import { openStore, type RawInsert, type Store } from '../gateway/src/storage/client.ts'
import { migrate } from '../gateway/src/storage/migrate.ts'
import { WIDE_PART_ROWS } from '../gateway/src/storage/span-parts.ts'
import { ARENA_BYTES, BATCH_BYTES, SpanWriter } from '../gateway/src/storage/writer.ts'
import { requestRows } from './span-fixtures.ts'

const dir = mkdtempSync(join(tmpdir(), 'tracegate-arena-'))
const log = createLogger('silent')
let store: Store
// chDB binds one data directory per process: both cases share the engine, each with a spool of its own.
beforeAll(async () => {
  store = await openStore(parseConfig({ storage: { data_dir: dir } }, {}))
  await migrate(store, 30, log)
})
afterAll(async () => {
  await store?.client.close()
  rmSync(dir, { recursive: true, force: true })
})

/**
 * The rows of a batch live in a reused arena from the moment they are recorded: each insert hands
 * the engine the arena's filled part as it is (no join, no fresh buffer), and the next batch writes
 * into the same memory once the last one is in.
 */
describe('the span writer on the embedded engine', () => {
  it('inserts each batch from one reused buffer, with every row arriving once', async () => {
    const sent: Array<{ memory: ArrayBufferLike; offset: number; lines: number }> = []
    const insertRaw = async (p: RawInsert) => {
      const values = p.values as Buffer
      sent.push({ memory: values.buffer, offset: values.byteOffset, lines: values.toString().split('\n').length })
      return store.insertRaw!(p)
    }
    const opts = { batchRows: 1000, flushMs: 60_000, maxSpoolBytes: 1e9, maxMemoryRows: 1000, maxInsertAttempts: 5 }
    const writer = new SpanWriter({ ...store, insertRaw }, { ...opts, spoolDir: join(dir, 'spool') }, log)
    for (let batch = 0; batch < 3; batch++) {
      // Three recorder batches of one request each (two spans): three payloads, one insert.
      for (let r = 0; r < 3; r++) writer.add(requestRows(`${batch}${r}`.padEnd(32, 'a')))
      await writer.flush()
    }
    await writer.close()
    expect(sent.map((s) => s.lines)).toEqual([6, 6, 6])
    expect(sent.map((s) => s.offset)).toEqual([0, 0, 0])
    // One arena serves every batch here: each was inserted before the next one started.
    expect(new Set(sent.map((s) => s.memory)).size).toBe(1)
    expect(writer.stats.written).toBe(18)
    const counted = await store.client.query({
      query: 'SELECT count() AS n, uniqExact(TraceId) AS traces FROM tracegate.spans',
      format: 'JSONEachRow',
    })
    expect(await counted.json()).toEqual([{ n: 18, traces: 9 }])
  })

  it('a batch whose insert failed gives its arena back: later batches still get one while the outage lasts', async () => {
    let failing = true
    const sent: Array<{ arena: boolean; lines: number }> = []
    const insertRaw = async (p: RawInsert) => {
      if (failing) throw new Error('connect ECONNREFUSED 127.0.0.1:8123')
      sent.push({
        arena: p.values.buffer.byteLength === ARENA_BYTES,
        lines: p.values.toString().split('\n').length,
      })
      return store.insertRaw!(p)
    }
    const opts = { batchRows: 1000, flushMs: 60_000, maxSpoolBytes: 1e9, maxMemoryRows: 1000, maxInsertAttempts: 100 }
    const writer = new SpanWriter({ ...store, insertRaw }, { ...opts, spoolDir: join(dir, 'outage-spool') }, log)
    // Four batches during the outage: the first fails at each flush, the rest wait behind it. The pool has three arenas.
    for (let batch = 0; batch < 4; batch++) {
      writer.add(requestRows(`b${batch}`.padEnd(32, 'c')))
      await writer.flush()
    }
    failing = false
    await writer.flush()
    await writer.close()
    // The first is read back from its segment; the three behind it were each placed in an arena.
    expect(sent).toEqual([
      { arena: false, lines: 2 },
      { arena: true, lines: 2 },
      { arena: true, lines: 2 },
      { arena: true, lines: 2 },
    ])
    expect(writer.stats.written).toBe(8)
  })

  it('a batch is inserted once its rows reach BATCH_BYTES, short of batch_rows and flush_ms', async () => {
    const sent: number[] = []
    const insertRaw = async (p: RawInsert) => {
      sent.push((p.values as Buffer).toString().split('\n').length)
      return store.insertRaw!(p)
    }
    const opts = { batchRows: 100_000, flushMs: 60_000, maxSpoolBytes: 1e9, maxMemoryRows: 1000, maxInsertAttempts: 5 }
    const writer = new SpanWriter({ ...store, insertRaw }, { ...opts, spoolDir: join(dir, 'spool-bytes') }, log)
    const body = 'b'.repeat(256 * 1024)
    const record = (from: number, requests: number) => {
      for (let i = from; i < from + requests; i++) {
        const rows = requestRows(`c${i}`.padEnd(32, 'c'))
        rows[0]!.RequestBody = body
        writer.add(rows)
      }
    }
    const under = Math.floor(BATCH_BYTES / body.length) - 2
    record(0, under)
    await new Promise((r) => setTimeout(r, 300))
    expect(sent).toEqual([]) // under the cap: it waits for flush_ms
    record(under, 4)
    for (let i = 0; i < 100 && !sent.length; i++) await new Promise((r) => setTimeout(r, 50))
    expect(sent).toEqual([2 * (under + 4)])
    await writer.close()
    expect(writer.stats.written).toBe(2 * (under + 4))
  })

  it('warns at start when batch_rows lets an insert be written as a part per column', async () => {
    const warnings = async (batchRows: number) => {
      const lines: string[] = []
      const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) })
      const opts = { batchRows, flushMs: 60_000, maxSpoolBytes: 1e9, maxMemoryRows: 1000, maxInsertAttempts: 5 }
      const writer = new SpanWriter(store, { ...opts, spoolDir: join(dir, `spool-warn-${batchRows}`) }, logger)
      await writer.close()
      return lines.map((l) => JSON.parse(l) as { msg: string; batchRows?: number })
    }
    expect(await warnings(WIDE_PART_ROWS - 1)).toEqual([])
    const [warning] = await warnings(WIDE_PART_ROWS)
    expect(warning!.batchRows).toBe(20_000)
    expect(warning!.msg).toContain('storage.batch_rows of 20000 and more')
  })
})
