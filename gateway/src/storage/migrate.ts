import type { Logger } from 'pino'
import { z } from 'zod'
import { ledgerStatements, migrations } from './migrations.ts'
import type { Store } from './client.ts'
import { applyRetention } from './retention.ts'
import { column, queryRows, rowSchema } from './rows.ts'

const APPLIED_ROWS = rowSchema('applied migrations', z.object({ version: column.int }))
const ENGINE_ROWS = rowSchema('table engine', z.object({ engine: column.string }))

/** Apply the migrations this database has not seen yet, in order, then a changed retention. */
export async function migrate(store: Store, retentionDays: number, log: Logger): Promise<number[]> {
  const { client, database: db } = store
  // An ON CLUSTER statement waits for every host: on a cluster a start with nothing to apply sends
  // none, so gateways still start while one ClickHouse host is down.
  if (!store.cluster || !(await tableEngine(store, 'tracegate_migrations')))
    for (const query of ledgerStatements(store)) await client.command({ query })
  const ledger = await queryRows(
    client,
    { query: `SELECT DISTINCT version FROM ${db}.tracegate_migrations` },
    APPLIED_ROWS,
  )
  const applied = new Set(ledger.map((r) => r.version))
  const done: number[] = []
  for (const m of migrations({ database: db, cluster: store.cluster, retentionDays })) {
    if (applied.has(m.version)) continue
    for (const query of m.statements) await client.command({ query })
    await client.insert({
      table: `${db}.tracegate_migrations`,
      values: [{ version: m.version, name: m.name }],
      format: 'JSONEachRow',
    })
    log.info({ version: m.version, name: m.name }, 'applied migration')
    done.push(m.version)
  }
  if (store.cluster) await expectClusterLayout(store)
  await applyRetention(store, retentionDays, log)
  return done
}

/** The engine of a table on the host this gateway reaches; '' when there is no such table. */
async function tableEngine(store: Store, table: string): Promise<string> {
  const rows = await queryRows(
    store.client,
    {
      query: 'SELECT engine FROM system.tables WHERE database = {db:String} AND name = {table:String}',
      query_params: { db: store.database, table },
    },
    ENGINE_ROWS,
  )
  return rows[0]?.engine ?? ''
}

/**
 * A database made without storage.cluster has its versions in the ledger and plain tables: cluster
 * mode would write to one host's tables. Refused, naming the way out, rather than half-working.
 */
async function expectClusterLayout(store: Store): Promise<void> {
  const engine = await tableEngine(store, 'spans')
  // No spans table at all is an outage /readyz reports, not a layout to refuse.
  if (engine === 'Distributed' || engine === '') return
  throw new Error(
    `storage.cluster is set, but ${store.database}.spans is a ${engine} table on this host: the database was made without a cluster. ` +
      'Give cluster mode a database of its own (storage.database) and copy the spans over; see docs/scaling.md',
  )
}
