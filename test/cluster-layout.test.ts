import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { Session } from 'chdb'
import { parseConfig } from '../gateway/src/config/load.ts'
import { createLogger } from '../gateway/src/log.ts'
import { openStore, type RawInsert, type Store } from '../gateway/src/storage/client.ts'
import { migrate } from '../gateway/src/storage/migrate.ts'
import { applyRetention } from '../gateway/src/storage/retention.ts'
import { SpanWriter } from '../gateway/src/storage/writer.ts'
import { Spool } from '../gateway/src/storage/spool.ts'
import { getTrace, listTraces } from '../gateway/src/storage/trace-queries.ts'
import { costReport } from '../gateway/src/storage/report-queries.ts'
import { compileQuery } from '../gateway/src/storage/query-compiler.ts'
import { exampleTraces, fateOfFailedRequests } from '../gateway/src/storage/incident-queries.ts'
import { incidentsReport } from '../gateway/src/incidents/report.ts'
import { IncidentSettingsSchema, QueryRequestSchema, TraceListQuerySchema } from '@tracegate/schemas'
import { requestRowValues, spoolPayload } from './span-fixtures.ts'

/**
 * Cluster mode's layout on a one-shard, one-replica cluster inside chDB: `spans`, `spans_1m` and
 * `spans_trace_id_ts` are Distributed tables over `*_local` tables, the views sit on the local
 * tables, and the gateway's own migrate, writer, queries and retention run against them. chDB has
 * neither a Keeper nor a DDL worker, so the DDL runs with replication and ON CLUSTER taken out
 * (`oneShard`); the statements as generated are pinned in fixtures/ddl/cluster.sql.
 */
const CLUSTER = 'tracegate_cluster'
const dir = mkdtempSync(join(tmpdir(), 'tracegate-cluster-'))
const config = `<clickhouse>
  <tcp_port>9000</tcp_port>
  <macros><shard>01</shard><replica>r1</replica></macros>
  <remote_servers><${CLUSTER}><shard><internal_replication>true</internal_replication>
    <replica><host>localhost</host><port>9000</port></replica>
  </shard></${CLUSTER}></remote_servers>
</clickhouse>`

const oneShard = (sql: string) =>
  sql
    .replaceAll(` ON CLUSTER ${CLUSTER}`, '')
    // A version column (alert_rules) stays the engine's one argument.
    .replace(/Replicated(\w*MergeTree)\('[^']*', '[^']*'(?:, (\w+))?\)/, (_, e: string, v?: string) =>
      v ? `${e}(${v})` : e,
    )
    .replace(
      'replicated_deduplication_window = 10000, replicated_deduplication_window_seconds = 604800',
      'non_replicated_deduplication_window = 10000',
    )

/** The store as the gateway uses it, with what it sends recorded; DDL is made one-shard on the way. */
function recording({ client, insertRaw }: Store) {
  const commands: string[] = []
  const inserts: Array<Record<string, unknown>> = []
  const proxy = new Proxy(client, {
    get(target, key) {
      if (key === 'command')
        return (p: { query: string }) => {
          commands.push(p.query)
          return target.command({ ...p, query: oneShard(p.query) })
        }
      if (key === 'exec')
        return (p: { query: string; clickhouse_settings?: object }) => {
          const into = /^INSERT INTO (\S+)/.exec(p.query)
          if (into) inserts.push({ table: into[1], ...p.clickhouse_settings })
          return target.exec(p as never)
        }
      const v = Reflect.get(target, key) as unknown
      return typeof v === 'function' ? v.bind(target) : v
    },
  })
  const raw = async (p: RawInsert) => {
    inserts.push({ table: p.table, ...p.settings })
    return insertRaw!(p)
  }
  return { client: proxy, insertRaw: raw, commands, inserts }
}

const logs: string[] = []
const log = createLogger(
  'info',
  new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk))
      cb()
    },
  }),
)
let session: Session
let store: Store
let sent: ReturnType<typeof recording>

beforeAll(async () => {
  writeFileSync(join(dir, 'config.xml'), config)
  mkdirSync(join(dir, 'clickhouse'))
  // The engine is bound to its directory once per process: the store opened next shares this one, config included.
  session = new Session(join(dir, 'clickhouse'), { connectionArgs: [`--config-file=${join(dir, 'config.xml')}`] })
  const embedded = await openStore(parseConfig({ storage: { data_dir: dir } }, {}))
  sent = recording(embedded)
  store = { ...embedded, cluster: CLUSTER, client: sent.client, insertRaw: sent.insertRaw }
})
afterAll(async () => {
  await store?.client.close()
  session?.cleanup()
  rmSync(dir, { recursive: true, force: true })
})

const rows = async <T>(query: string) => (await store.client.query({ query, format: 'JSONEachRow' })).json<T>()
const TRACE = 'c1a5e7'.padEnd(32, '0')

const spoolDir = join(dir, 'spool')

/** Start a writer on the spool as the gateway does: it inserts what the spool holds, in the foreground here. */
async function replaySpool(): Promise<SpanWriter> {
  const opts = { batchRows: 1000, flushMs: 50, maxSpoolBytes: 1e9, maxMemoryRows: 1000, maxInsertAttempts: 5 }
  const writer = new SpanWriter(store, { ...opts, spoolDir }, log)
  await writer.flush()
  await writer.close()
  return writer
}

describe('cluster mode on a one-shard cluster', () => {
  it('migrates: Distributed tables named as queries name them, over local tables the views feed', async () => {
    const [cluster] = await rows<{ is_local: number }>(
      `SELECT is_local FROM system.clusters WHERE cluster = '${CLUSTER}'`,
    )
    expect(Number(cluster?.is_local)).toBe(1)
    expect(await migrate(store, 30, log)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14])
    expect(sent.commands.filter((c) => !c.trim().split('\n')[0]!.includes(` ON CLUSTER ${CLUSTER}`))).toEqual([])
    const tables = await rows<{ name: string; engine: string }>(
      "SELECT name, engine FROM system.tables WHERE database = 'tracegate' ORDER BY name",
    )
    expect(tables.map((t) => [t.name, t.engine])).toEqual([
      ['alert_deliveries', 'Distributed'],
      ['alert_deliveries_local', 'MergeTree'],
      ['alert_events', 'Distributed'],
      ['alert_events_local', 'MergeTree'],
      ['alert_rules', 'Distributed'],
      ['alert_rules_local', 'ReplacingMergeTree'],
      ['api_keys', 'Distributed'],
      ['api_keys_local', 'ReplacingMergeTree'],
      ['api_teams', 'Distributed'],
      ['api_teams_local', 'ReplacingMergeTree'],
      ['attempts_1m', 'Distributed'],
      ['attempts_1m_local', 'AggregatingMergeTree'],
      ['attempts_1m_mv', 'MaterializedView'],
      ['spans', 'Distributed'],
      ['spans_1m', 'Distributed'],
      ['spans_1m_local', 'AggregatingMergeTree'],
      ['spans_1m_mv', 'MaterializedView'],
      ['spans_local', 'ReplacingMergeTree'],
      ['spans_trace_id_ts', 'Distributed'],
      ['spans_trace_id_ts_local', 'MergeTree'],
      ['spans_trace_id_ts_mv', 'MaterializedView'],
      ['targets_1m', 'Distributed'],
      ['targets_1m_local', 'AggregatingMergeTree'],
      ['targets_1m_mv', 'MaterializedView'],
      ['tracegate_migrations', 'ReplacingMergeTree'],
    ])
  })

  it('a restart with nothing to apply sends no DDL, so no ON CLUSTER statement waits for a host that is down', async () => {
    sent.commands.length = 0
    expect(await migrate(store, 30, log)).toEqual([])
    expect(sent.commands).toEqual([])
  })

  it('a database made without a cluster is refused in cluster mode, not written on one host', async () => {
    const single = { ...store, database: 'single', cluster: '' }
    expect(await migrate(single, 30, log)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14])
    await expect(migrate({ ...single, cluster: CLUSTER }, 30, log)).rejects.toThrow(
      'storage.cluster is set, but single.spans is a ReplacingMergeTree table on this host: the database was made without a cluster.',
    )
  })

  it('a segment inserted twice (a crash before its deletion) counts once, rollup and trace lookup included', async () => {
    const spool = new Spool(spoolDir)
    const seg = spool.append(spoolPayload(requestRowValues(TRACE)))
    spool.roll()
    const bytes = readFileSync(seg.path)
    expect((await replaySpool()).stats.replayed).toBe(2)
    expect(existsSync(seg.path)).toBe(false)
    writeFileSync(seg.path, bytes)
    expect((await replaySpool()).stats.replayed).toBe(2)
    expect(sent.inserts.filter((i) => i.table === 'tracegate.spans')).toEqual(
      Array(2).fill({
        table: 'tracegate.spans',
        insert_deduplication_token: seg.name,
        deduplicate_blocks_in_dependent_materialized_views: 1,
        optimize_on_insert: 0,
        insert_distributed_sync: 1,
      }),
    )
    const [counts] = await rows<Record<string, number>>(
      `SELECT (SELECT count() FROM tracegate.spans) AS spans, (SELECT count() FROM tracegate.spans_local) AS local,
        (SELECT sum(Requests) FROM tracegate.spans_1m) AS requests, (SELECT count() FROM tracegate.spans_trace_id_ts) AS lookups,
        (SELECT sum(Attempts) FROM tracegate.attempts_1m) AS attempts`,
    )
    expect(counts).toEqual({ spans: 2, local: 2, requests: 1, lookups: 1, attempts: 1 })
  })

  it('every read the explorer makes answers through the Distributed tables', async () => {
    const trace = await getTrace(store, TRACE)
    expect(trace.map((s) => [s.kind, s.name, s.workflow, s.provider_cost_usd])).toEqual([
      ['server', 'POST /v1/chat/completions', 'replay', null],
      ['client', 'chat gpt-4o', 'replay', null],
    ])
    const list = await listTraces(store, TraceListQuerySchema.parse({ workflow: 'replay' }))
    expect(list.traces.map((t) => [t.trace_id, t.attempts])).toEqual([[TRACE, 1]])
    const now = Date.now()
    const range = { from: new Date(now - 3_600_000), to: new Date(now + 60_000) }
    const report = await costReport(store, { ...range, group_by: 'workflow', format: 'json' })
    expect(report.rows.map((r) => [r.group, r.requests, r.errors])).toEqual([['replay', 1, 0]])
    const incidents = await incidentsReport(store, range, IncidentSettingsSchema.parse({}))
    expect(incidents.health.map((h) => [h.provider, h.model, h.attempts, h.errors])).toEqual([
      ['openai', 'gpt-4o', 1, 0],
    ])
    expect(incidents.results.first_try).toBe(1)
    // An incident's window reads raw spans with a subquery over the same Distributed table.
    const window = { from: range.from.getTime(), to: range.to.getTime() }
    const target = { provider: 'openai', model: 'gpt-4o' }
    expect((await fateOfFailedRequests(store, window, target)).requests.lost).toBe(0)
    expect(await exampleTraces(store, window, target)).toEqual([])
    for (const [group_by, source] of [
      ['workflow', 'rollup'],
      ['user', 'spans'],
    ] as const) {
      const q = compileQuery(
        QueryRequestSchema.parse({
          from: range.from.toISOString(),
          to: range.to.toISOString(),
          group_by: [group_by],
          metrics: ['requests'],
        }),
        'tracegate',
      )
      expect(q.source).toBe(source)
      const rs = await store.client.query({ query: q.sql, query_params: q.params, format: 'JSONEachRow' })
      expect((await rs.json<{ requests: number }>()).map((r) => Number(r.requests))).toEqual([1])
    }
  })

  it('a changed retention_days alters the local tables ON CLUSTER', async () => {
    sent.commands.length = 0
    await applyRetention(store, 7, log)
    expect(sent.commands).toEqual([
      `ALTER TABLE tracegate.spans_local ON CLUSTER ${CLUSTER} MODIFY TTL toDateTime(Timestamp) + toIntervalDay(7)`,
      `ALTER TABLE tracegate.spans_trace_id_ts_local ON CLUSTER ${CLUSTER} MODIFY TTL toDateTime(Start) + toIntervalDay(7)`,
      `ALTER TABLE tracegate.spans_1m_local ON CLUSTER ${CLUSTER} MODIFY TTL Minute + toIntervalDay(28)`,
      `ALTER TABLE tracegate.attempts_1m_local ON CLUSTER ${CLUSTER} MODIFY TTL Minute + toIntervalDay(28)`,
      `ALTER TABLE tracegate.targets_1m_local ON CLUSTER ${CLUSTER} MODIFY TTL Minute + toIntervalDay(28)`,
    ])
    const changed = logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'retention changed: table TTL updated')
    expect(changed.map((l) => l.table)).toEqual([
      'spans_local',
      'spans_trace_id_ts_local',
      'spans_1m_local',
      'attempts_1m_local',
      'targets_1m_local',
    ])
    sent.commands.length = 0
    await applyRetention(store, 7, log)
    expect(sent.commands).toEqual([])
  })
})
