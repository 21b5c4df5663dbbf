import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig } from '../gateway/src/config/load.ts'
import { createLogger } from '../gateway/src/log.ts'
import { openStore, type Store } from '../gateway/src/storage/client.ts'
import { migrate } from '../gateway/src/storage/migrate.ts'
import { ledgerStatements, migrations } from '../gateway/src/storage/migrations.ts'
import type { Layout } from '../gateway/src/storage/layout.ts'
import { ddlStatements } from './ddl-statements.ts'

const log = createLogger('silent')
const dataDir = mkdtempSync(join(tmpdir(), 'tracegate-migrate-'))
let engine: Store
// chDB binds one data directory per process: each case gets its own database in it instead.
const storeFor = (database: string): Store => ({ ...engine, database })

beforeAll(async () => {
  engine = await openStore(parseConfig({ storage: { data_dir: dataDir } }, {}))
})
afterAll(async () => {
  await engine?.client.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const rows = async <T>(store: Store, query: string) =>
  (await store.client.query({ query, query_params: { db: store.database }, format: 'JSONEachRow' })).json<T>()

/** Every table and view of the database as the engine describes it, named as if the database were `tracegate`. */
async function schema(store: Store): Promise<string> {
  const tables = await rows<{ create_table_query: string }>(
    store,
    'SELECT create_table_query FROM system.tables WHERE database = {db:String} ORDER BY name',
  )
  return tables.map((t) => t.create_table_query.replaceAll(`${store.database}.`, 'tracegate.')).join(';\n\n') + ';\n'
}

/** A database left by a gateway that knew migrations up to `version`: its statements run, its ledger rows written. */
async function databaseAt(store: Store, version: number): Promise<void> {
  const { client, database } = store
  for (const query of ledgerStatements(store)) await client.command({ query })
  for (const m of migrations({ database, retentionDays: 30 }).filter((m) => m.version <= version)) {
    for (const query of m.statements) await client.command({ query })
    await client.insert({
      table: `${database}.tracegate_migrations`,
      values: [{ version: m.version, name: m.name }],
      format: 'JSONEachRow',
    })
  }
}

/** A request answered by its first attempt: its SERVER span and its one CLIENT span. */
const insertRequest = (store: Store, team: string) =>
  store.client.command({
    query: `INSERT INTO ${store.database}.spans (Timestamp, TraceId, SpanId, ParentSpanId, SpanKind, StatusCode, Provider, RequestModel, ResponseModel, Team, Attempt, HttpStatus)
      VALUES (now64(9), '0123456789abcdef0123456789abcdef', '0123456789abcdef', '', 'Server', 'Ok', 'openai', 'gpt-4o', 'gpt-4o', '${team}', 1, 200),
             (now64(9), '0123456789abcdef0123456789abcdef', '1123456789abcdef', '0123456789abcdef', 'Client', 'Ok', 'openai', 'gpt-4o', 'gpt-4o', '${team}', 1, 200)`,
  })
const ledger = async (store: Store) =>
  (
    await rows<{ version: number }>(
      store,
      `SELECT DISTINCT version FROM ${store.database}.tracegate_migrations ORDER BY version`,
    )
  ).map((r) => Number(r.version))
const rollupTeams = async (store: Store) =>
  (
    await rows<{ Team: string; Outcome: string; n: number }>(
      store,
      `SELECT Team, Outcome, sum(Requests) AS n FROM ${store.database}.spans_1m GROUP BY Team, Outcome ORDER BY Team`,
    )
  ).map((r) => [r.Team, r.Outcome, Number(r.n)])

describe('migrations on the embedded engine', () => {
  it('a fresh data directory gets every version and the schema it has always had', async () => {
    const fresh = storeFor('tracegate')
    expect(await migrate(fresh, 30, log)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14])
    expect(await ledger(fresh)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14])
    await expect(await schema(fresh)).toMatchFileSnapshot('fixtures/ddl/embedded-schema.sql')
  })

  it('a database already at v14 is left as it is, its spans kept', async () => {
    const old = storeFor('at_v14')
    await databaseAt(old, 14)
    await insertRequest(old, 'before')
    const before = await schema(old)
    expect(await migrate(old, 30, log)).toEqual([])
    expect(await schema(old)).toBe(before)
    expect(await schema(old)).toBe(await schema(storeFor('tracegate')))
    expect(await rollupTeams(old)).toEqual([['before', 'ok', 1]])
  })

  it('a database at v4 gets v5 to v12 and ends with the same schema as a fresh one', async () => {
    const old = storeFor('at_v4')
    await databaseAt(old, 4)
    await insertRequest(old, 'before')
    expect(await migrate(old, 30, log)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14])
    expect(await ledger(old)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14])
    expect(await schema(old)).toBe(await schema(storeFor('tracegate')))
    await insertRequest(old, 'after')
    // The rollup row written before v5 has no outcome; the one after has.
    expect(await rollupTeams(old)).toEqual([
      ['after', 'ok', 1],
      ['before', '', 1],
    ])
  })

  it('a database at v7 gets v8 to v12: requests written before it have no result, later ones do, and attempts roll up', async () => {
    const old = storeFor('at_v7')
    await databaseAt(old, 7)
    await insertRequest(old, 'before')
    expect(await migrate(old, 30, log)).toEqual([8, 9, 10, 11, 12, 13, 14])
    expect(await schema(old)).toBe(await schema(storeFor('tracegate')))
    await insertRequest(old, 'after')
    const results = await rows<{ Team: string; Result: string; n: number }>(
      old,
      `SELECT Team, Result, sum(Requests) AS n FROM ${old.database}.spans_1m GROUP BY Team, Result ORDER BY Team`,
    )
    expect(results.map((r) => [r.Team, r.Result, Number(r.n)])).toEqual([
      ['after', 'first_try', 1],
      ['before', '', 1],
    ])
    const attempts = await rows<{ Team: string; ErrorClass: string; Kind: string; n: number }>(
      old,
      `SELECT Team, ErrorClass, Kind, sum(Attempts) AS n FROM ${old.database}.attempts_1m GROUP BY ALL ORDER BY Team`,
    )
    expect(attempts.map((r) => [r.Team, r.ErrorClass, r.Kind, Number(r.n)])).toEqual([['after', 'ok', 'first', 1]])
  })

  it('a database at v9 gets v10 to v12: the target rollup is filled from the attempt rollup once, then by its view', async () => {
    const old = storeFor('at_v9')
    await databaseAt(old, 9)
    await insertRequest(old, 'before')
    expect(await migrate(old, 30, log)).toEqual([10, 11, 12, 13, 14])
    const targets = async () =>
      (
        await rows<{ Provider: string; Model: string; Kind: string; n: number }>(
          old,
          `SELECT Provider, Model, Kind, sum(Attempts) AS n FROM ${old.database}.targets_1m GROUP BY ALL`,
        )
      ).map((r) => [r.Provider, r.Model, r.Kind, Number(r.n)])
    expect(await targets()).toEqual([['openai', 'gpt-4o', 'first', 1]])
    await insertRequest(old, 'after')
    expect(await targets()).toEqual([['openai', 'gpt-4o', 'first', 2]])
    // Run again (a migration interrupted before its ledger row): the fill sees a filled table and adds nothing.
    const v10 = migrations({ database: old.database, retentionDays: 30 }).find((m) => m.version === 10)!
    for (const query of v10.statements) await old.client.command({ query })
    expect(await targets()).toEqual([['openai', 'gpt-4o', 'first', 2]])
    expect(await schema(old)).toBe(await schema(storeFor('tracegate')))
  })

  it('a database at v11 gets v12: shadow calls and injected faults written after it are in neither attempt rollup', async () => {
    const old = storeFor('at_v11')
    await databaseAt(old, 11)
    expect(await migrate(old, 30, log)).toEqual([12, 13, 14])
    expect(await schema(old)).toBe(await schema(storeFor('tracegate')))
    await insertRequest(old, 'after')
    await old.client.command({
      query: `INSERT INTO ${old.database}.spans (Timestamp, TraceId, SpanId, ParentSpanId, SpanKind, StatusCode, Provider, RequestModel, ResponseModel, Team, Attempt, HttpStatus, SpanAttributes)
        VALUES (now64(9), '0123456789abcdef0123456789abcdef', '2123456789abcdef', '0123456789abcdef', 'Client', 'Ok', 'openai', 'gpt-4.1', 'gpt-4.1', 'after', 1, 200, map('tracegate.shadow', 'true')),
               (now64(9), '0123456789abcdef0123456789abcdef', '3123456789abcdef', '0123456789abcdef', 'Client', 'Error', 'openai', 'gpt-4o-mini', 'gpt-4o-mini', 'after', 1, 429, map('tracegate.injected_fault', '429'))`,
    })
    for (const table of ['attempts_1m', 'targets_1m']) {
      const models = await rows<{ Model: string; n: number }>(
        old,
        `SELECT Model, sum(Attempts) AS n FROM ${old.database}.${table} GROUP BY Model`,
      )
      expect(models.map((r) => [r.Model, Number(r.n)])).toEqual([['gpt-4o', 1]])
    }
  })

  it('a database at v12 gets v13: spans merge vertically, whatever the size of the merge', async () => {
    const old = storeFor('at_v12')
    await databaseAt(old, 12)
    const setting = async () =>
      (
        await rows<{ create_table_query: string }>(
          old,
          "SELECT create_table_query FROM system.tables WHERE database = {db:String} AND name = 'spans'",
        )
      )[0]!.create_table_query.match(/vertical_merge_algorithm_min_rows_to_activate = (\d+)/)?.[1]
    expect(await setting()).toBeUndefined()
    expect(await migrate(old, 30, log)).toEqual([13, 14])
    expect(await setting()).toBe('1')
    expect(await schema(old)).toBe(await schema(storeFor('tracegate')))
  })

  it('a database at v13 gets v14: an insert past 10 MB writes one compact part, not a file per column', async () => {
    const old = storeFor('at_v13')
    await databaseAt(old, 13)
    // 200 spans with 64 KB bodies: 13 MB in one insert, past the engine's 10 MB threshold for wide parts.
    const insertBig = (team: string) =>
      old.client.command({
        query: `INSERT INTO ${old.database}.spans (Timestamp, TraceId, SpanId, SpanKind, Team, RequestBody)
          SELECT now64(9), hex(number + 1000 * {n:UInt8}), hex(number), 'Server', {team:String}, repeat(toString(number), 30000)
          FROM numbers(200)`,
        query_params: { team, n: team.length },
      })
    const partType = async (team: string) =>
      (
        await rows<{ part_type: string }>(
          old,
          `SELECT part_type FROM system.parts WHERE database = {db:String} AND table = 'spans' AND active
           AND name IN (SELECT _part FROM ${old.database}.spans WHERE Team = '${team}')`,
        )
      ).map((r) => r.part_type)
    await insertBig('before')
    expect(await partType('before')).toEqual(['Wide'])
    expect(await migrate(old, 30, log)).toEqual([14])
    await insertBig('after!')
    expect(await partType('after!')).toEqual(['Compact'])
    expect(await schema(old)).toBe(await schema(storeFor('tracegate')))
  })

  it("every statement of every mode parses with ClickHouse's own parser, cluster mode included", async () => {
    // No server runs here, let alone a cluster: the engine's parser is what can check cluster DDL.
    const formatted = async (layout: Layout) => {
      const out: string[] = []
      for (const q of ddlStatements(layout).flatMap((s) => s.statements)) {
        const rs = await engine.client.query({ query: 'SELECT formatQuery({q:String}) AS f', query_params: { q } })
        out.push((await rs.json<{ f: string }>()).data[0]!.f)
      }
      return out
    }
    expect(engine.cluster).toBe('')
    expect(await formatted({ database: 'tracegate' })).toHaveLength(45)
    const cluster = await formatted({ database: 'tracegate', cluster: 'tracegate_cluster' })
    expect(cluster).toHaveLength(58)
    expect(cluster.filter((f) => !f.split('\n')[0]!.includes('ON CLUSTER tracegate_cluster'))).toEqual([])
  })
})
