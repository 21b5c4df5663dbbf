import type { Logger } from 'pino'
import { z } from 'zod'
import { retentionTtls } from './migrations.ts'
import { localName, localTable, onCluster, type Layout } from './layout.ts'
import type { Store } from './client.ts'
import { column, queryRows, rowSchema } from './rows.ts'

const TABLE_ROWS = rowSchema('table TTLs', z.object({ name: column.string, engine_full: column.string }))

/** The statement that sets a table's TTL to `ttl`: on a cluster, on every shard's local table. */
export const retentionStatement = (l: Layout, table: string, ttl: string) =>
  `ALTER TABLE ${localTable(l, table)}${onCluster(l)} MODIFY TTL ${ttl}`

const ttlOf = (engineFull: string) => / TTL (.+?)(?: SETTINGS |$)/.exec(engineFull)?.[1] ?? ''

/**
 * CREATE TABLE sets a TTL only once; a retention_days changed since is applied here, at start.
 * Only tables whose TTL differs are altered: on a large table the ALTER recomputes the TTL of
 * every part in the background. On a cluster the TTL lives on the local tables (a Distributed
 * table stores nothing); the host this gateway reaches speaks for all, as ON CLUSTER keeps them alike.
 */
export async function applyRetention(store: Store, days: number, log: Logger): Promise<void> {
  const { client, database: db } = store
  const wanted = retentionTtls(days)
  const tables = await queryRows(
    client,
    {
      query:
        'SELECT name, engine_full FROM system.tables WHERE database = {db:String} AND name IN {names:Array(String)}',
      query_params: { db, names: Object.keys(wanted).map((t) => localName(store, t)) },
    },
    TABLE_ROWS,
  )
  const current = new Map(tables.map((r) => [r.name, ttlOf(r.engine_full)]))
  for (const [table, ttl] of Object.entries(wanted)) {
    const was = current.get(localName(store, table))
    if (was === undefined || was === ttl) continue
    await client.command({ query: retentionStatement(store, table, ttl) })
    log.info({ table: localName(store, table), ttl, previous: was }, 'retention changed: table TTL updated')
  }
}
