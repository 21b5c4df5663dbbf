/**
 * `npm run bench:ingest`: what storing spans costs ClickHouse, per span. The gateway's own rows (a
 * request span and an attempt span per request, built by its span builder, 20 teams, 50 workflows,
 * 200 keys) go into the embedded engine in batches of storage.batch_rows with the writer's insert
 * settings, through the spans table and its two views. Reported: spans/s, CPU per span (all of the
 * engine's threads, background merges included, until they settle) and bytes on disk per span.
 * BENCH_SPANS (default 400,000) sets the size; BENCH_BODY_BYTES=n captures a request body of about
 * n bytes and a response of about n/4, in words drawn from a 4,096-word vocabulary (it compresses
 * about as well as prose; real prompts that repeat a template compress better). BENCH_STORAGE=sink
 * sends them to a stand-in server that keeps nothing: what our side sustains into a ClickHouse server
 * (encoding each row as the writer does, and the insert); rows keep their ids between rounds there.
 * BENCH_INPUT=native hands the engine the same rows in its own columnar format (Native files the
 * engine wrote beforehand, untimed, then `INSERT … SELECT FROM file()`): what storing a span costs
 * with no parsing at all, the floor any input format could reach.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig } from '../gateway/src/config/load.ts'
import { createLogger } from '../gateway/src/log.ts'
import { openStore, type Store } from '../gateway/src/storage/client.ts'
import { migrate } from '../gateway/src/storage/migrate.ts'
import { insertSpans, spanInsertSettings, spoolPayload } from '../gateway/src/storage/insert.ts'
import { SPAN_COLUMNS, spanRowLine, type SpanRow } from '../gateway/src/storage/span-row.ts'
import { formatTimestamp } from '../gateway/src/spans/time.ts'
import { requestRows } from '../test/span-fixtures.ts'
import { startSink, stop } from './processes.ts'

const SPANS = Number(process.env.BENCH_SPANS ?? 400_000)
const BODY_BYTES = Number(process.env.BENCH_BODY_BYTES ?? 0)
const BATCH_ROWS = Number(process.env.BENCH_BATCH_ROWS ?? parseConfig({}, {}).storage.batch_rows)
const TEMPLATE_BATCHES = 8
const INPUT = process.env.BENCH_INPUT ?? 'json'
const NATIVE = INPUT === 'native'

/** mulberry32: deterministic, and in 32-bit integer arithmetic (an LCG in doubles loses bits and cycles early). */
let seed = 7
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), seed | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
}
const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!

const SYLLABLES = 'ka lo mi ne ru sa te vi do fu ga hi jo be pa zu'.split(' ')
const VOCABULARY = Array.from({ length: 4096 }, (_, i) =>
  [i & 15, (i >> 4) & 15, (i >> 8) & 15].map((s) => SYLLABLES[s]).join(''),
)
const prose = (bytes: number) => {
  let text = ''
  while (text.length < bytes) text += `${pick(VOCABULARY)} `
  return text
}

/** Rows for a few batches, reused with fresh ids each round: building them is not what is measured. */
function templates(): SpanRow[][] {
  const teams = Array.from({ length: 20 }, (_, i) => `team-${i}`)
  const workflows = Array.from({ length: 50 }, (_, i) => `workflow-${i}`)
  const keys = Array.from({ length: 200 }, (_, i) => `key-${i}`)
  const batches: SpanRow[][] = []
  for (let b = 0; b < TEMPLATE_BATCHES; b++) {
    const rows: SpanRow[] = []
    while (rows.length < BATCH_ROWS) {
      const [server, attempt] = requestRows('0'.repeat(32))
      const input = 200 + Math.floor(rand() * 3000)
      const output = 20 + Math.floor(rand() * 800)
      const request: Partial<SpanRow> = {
        Team: pick(teams),
        Workflow: pick(workflows),
        KeyName: pick(keys),
        User: `user-${Math.floor(rand() * 5000)}`,
        Duration: Math.round((300 + rand() * 4000) * 1e6),
        InputTokens: input,
        OutputTokens: output,
        CostUsd: (input * 0.0025 + output * 0.01) / 1000,
      }
      Object.assign(server!, request)
      Object.assign(attempt!, request)
      if (BODY_BYTES) {
        server!.RequestBody = JSON.stringify({ messages: [{ role: 'user', content: prose(BODY_BYTES) }] })
        attempt!.ResponseBody = JSON.stringify({ choices: [{ message: { content: prose(BODY_BYTES / 4) } }] })
      }
      rows.push(server!, attempt!)
    }
    batches.push(rows)
  }
  return batches
}

const START_MS = Date.now() - 3_600_000

/** Fresh trace and span ids and distinct times, so no round's rows replace another's. */
function renumber(rows: SpanRow[], round: number): void {
  const prefix = round.toString(16).padStart(8, '0')
  // Rounds start BATCH_ROWS / 10 ms apart; a round's rows are 1 ns apart (the last digits of DateTime64(9)).
  const second = formatTimestamp(START_MS + (round * BATCH_ROWS) / 10).slice(0, 23)
  rows.forEach((r, i) => {
    r.Timestamp = second + String(i).padStart(6, '0')
    const request = (i >> 1).toString(16).padStart(24, '0')
    const serverSpan = `${prefix}0${request.slice(-7)}`
    r.TraceId = prefix + request
    r.SpanId = i & 1 ? `${prefix}1${request.slice(-7)}` : serverSpan
    r.ParentSpanId = i & 1 ? serverSpan : ''
  })
}

/** JSON lines, as the gateway's writer encodes each span once. */
const encode = (rows: SpanRow[]) => spoolPayload(rows.map(spanRowLine))

async function settle(store: Store): Promise<void> {
  for (;;) {
    const rs = await store.client.query({ query: 'SELECT count() AS n FROM system.merges', format: 'JSONEachRow' })
    if (Number((await rs.json<{ n: number }>())[0]!.n) === 0) return
    await new Promise((r) => setTimeout(r, 200))
  }
}

async function onDisk(store: Store): Promise<Array<{ table: string; rows: number; bytes: number }>> {
  const rs = await store.client.query({
    query: `SELECT table, sum(rows) AS rows, sum(data_compressed_bytes) AS bytes FROM system.parts
      WHERE database = {db:String} AND active AND table LIKE 'spans%' GROUP BY table ORDER BY table`,
    query_params: { db: store.database },
    format: 'JSONEachRow',
  })
  return (await rs.json<{ table: string; rows: string; bytes: string }>()).map((r) => ({
    table: r.table,
    rows: Number(r.rows),
    bytes: Number(r.bytes),
  }))
}

/** Active parts of the spans table by format (Compact or Wide), after merges settled. */
async function partTypes(store: Store): Promise<string> {
  const rs = await store.client.query({
    query: `SELECT part_type, count() AS n FROM system.parts WHERE database = {db:String} AND table = 'spans' AND active GROUP BY part_type`,
    query_params: { db: store.database },
    format: 'JSONEachRow',
  })
  return (await rs.json<{ part_type: string; n: string }>()).map((r) => `${r.n} ${r.part_type}`).join(', ')
}

/** What the client does on our side of the wire (ids, JSON lines), timed apart: the gateway's cost, not ClickHouse's. */
function ourSide(batches: SpanRow[][], rounds: number, sink: boolean) {
  const ids = process.cpuUsage()
  if (!sink) for (let round = 0; round < rounds; round++) renumber(batches[round % TEMPLATE_BATCHES]!, round)
  const renumbering = process.cpuUsage(ids)
  const encoding = process.cpuUsage()
  for (let round = 0; round < rounds; round++) encode(batches[round % TEMPLATE_BATCHES]!)
  return { renumbering, encoded: process.cpuUsage(encoding) }
}

/**
 * Each round's rows as a Native file, written by the engine from a staging copy of the spans
 * table (no views, so nothing reaches the rollups): the columnar input the timed inserts read.
 */
async function nativeFiles(store: Store, batches: SpanRow[][], rounds: number, dir: string): Promise<string[]> {
  const db = store.database
  mkdirSync(join(dir, 'native'))
  await store.client.command({ query: `CREATE TABLE ${db}.bench_stage AS ${db}.spans` })
  const files: string[] = []
  for (let round = 0; round < rounds; round++) {
    const rows = batches[round % TEMPLATE_BATCHES]!
    renumber(rows, round)
    const values = encode(rows)
    await store.insertRaw!({ table: `${db}.bench_stage`, columns: SPAN_COLUMNS, settings: {}, values })
    const file = join(dir, 'native', `${round}.native`)
    await store.client.command({
      query: `INSERT INTO FUNCTION file('${file}', 'Native') SELECT * FROM ${db}.bench_stage`,
    })
    await store.client.command({ query: `TRUNCATE TABLE ${db}.bench_stage` })
    files.push(file)
  }
  await store.client.command({ query: `DROP TABLE ${db}.bench_stage` })
  return files
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tracegate-bench-ingest-'))
  const sink = process.env.BENCH_STORAGE === 'sink' ? await startSink() : null
  const storage = sink ? { clickhouse_url: sink.url } : { data_dir: dir }
  const store = await openStore(parseConfig({ storage }, {}))
  try {
    await migrate(store, 30, createLogger('warn'))
    // A/B runs of table settings: statements run after the migrations, separated by `;`.
    for (const query of (process.env.BENCH_SQL ?? '').split(';').filter((q) => q.trim()))
      await store.client.command({ query })
    const batches = templates()
    const rounds = Math.ceil(SPANS / BATCH_ROWS)
    const files = NATIVE ? await nativeFiles(store, batches, rounds, dir) : []
    const ours = NATIVE ? null : ourSide(batches, rounds, Boolean(sink))
    /** A round's insert, ready to start: its rows renumbered and encoded now, while the engine takes the previous one. */
    const prepare = (round: number): (() => Promise<unknown>) => {
      const token = `bench-${round}`
      if (NATIVE) {
        const query = `INSERT INTO ${store.database}.spans SELECT * FROM file('${files[round]}', 'Native')`
        return () => store.client.command({ query, clickhouse_settings: spanInsertSettings(store, token) })
      }
      const rows = batches[round % TEMPLATE_BATCHES]!
      // The engine needs fresh ids (equal keys would replace each other); a sink keeps nothing, so
      // giving rows new ids there would only time the bench's own work, which the gateway never does.
      if (!sink) renumber(rows, round)
      const payload = encode(rows)
      return () => insertSpans(store, [payload], token)
    }
    const cpu = process.cpuUsage()
    const began = performance.now()
    let pending: Promise<unknown> | null = null
    for (let round = 0; round < rounds; round++) {
      const insert = prepare(round)
      await pending
      pending = insert()
    }
    await pending
    const insertSeconds = (performance.now() - began) / 1000
    if (!sink) await settle(store)
    const used = process.cpuUsage(cpu)
    const spans = rounds * BATCH_ROWS
    const tables = sink ? [] : await onDisk(store)
    const into = sink
      ? 'a sink server that keeps nothing (our side of the wire only)'
      : `the embedded engine${NATIVE ? ', as Native files (no parsing)' : ''}`
    console.log(
      `node ${process.version}, body bytes ${BODY_BYTES} (+${BODY_BYTES / 4} response), ${spans} spans into ${into}`,
    )
    console.log(`  inserted in ${insertSeconds.toFixed(1)} s: ${Math.round(spans / insertSeconds)} spans/s`)
    const perSpan = (u: NodeJS.CpuUsage) => (u.user + u.system) / spans
    const ids = (o: NonNullable<typeof ours>) =>
      sink
        ? 'rows not renumbered between rounds'
        : `${perSpan(o.renumbering).toFixed(1)} µs giving the bench's rows fresh ids`
    const share = ours
      ? `of which ${perSpan(ours.encoded).toFixed(1)} µs encoding the JSON line; ${ids(ours)}`
      : 'none of it ours (the files were written beforehand)'
    console.log(`  CPU per span (merges settled): ${perSpan(used).toFixed(1)} µs, ${share}`)
    console.log(`  on disk per span: ${tables.map((t) => `${t.table} ${(t.bytes / spans).toFixed(1)} B`).join(', ')}`)
    if (!sink) console.log(`  parts of spans: ${await partTypes(store)}`)
  } finally {
    await store.close()
    await stop(sink)
    rmSync(dir, { recursive: true, force: true })
  }
}

function usageError(): string | null {
  if (INPUT !== 'json' && INPUT !== 'native') return `BENCH_INPUT must be json or native, not ${JSON.stringify(INPUT)}`
  if (NATIVE && process.env.BENCH_STORAGE === 'sink')
    return 'BENCH_INPUT=native measures the embedded engine: leave BENCH_STORAGE unset'
  return null
}

const refused = usageError()
if (refused) {
  console.error(refused)
  process.exit(2)
}
main().catch((err) => {
  console.error(err)
  process.exit(1)
})
