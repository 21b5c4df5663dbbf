import type { Logger } from 'pino'
import { retentionTtls } from './migrations.ts'
import type { Store } from './client.ts'

/** The statement that sets a table's TTL to `ttl`. */
export const retentionStatement = (db: string, table: string, ttl: string) =>
  `ALTER TABLE ${db}.${table} MODIFY TTL ${ttl}`

const ttlOf = (engineFull: string) => / TTL (.+?)(?: SETTINGS |$)/.exec(engineFull)?.[1] ?? ''

/**
 * CREATE TABLE sets a TTL only once; a retention_days changed since is applied here, at start.
 * Only tables whose TTL differs are altered: on a large table the ALTER recomputes the TTL of
 * every part in the background.
 */
export async function applyRetention(store: Store, days: number, log: Logger): Promise<void> {
  const { client, database: db } = store
  const wanted = retentionTtls(days)
  const rs = await client.query({
    query: 'SELECT name, engine_full FROM system.tables WHERE database = {db:String} AND name IN {names:Array(String)}',
    query_params: { db, names: Object.keys(wanted) },
    format: 'JSONEachRow',
  })
  const current = new Map(
    (await rs.json<{ name: string; engine_full: string }>()).map((r) => [r.name, ttlOf(r.engine_full)]),
  )
  for (const [table, ttl] of Object.entries(wanted)) {
    const was = current.get(table)
    if (was === undefined || was === ttl) continue
    await client.command({ query: retentionStatement(db, table, ttl) })
    log.info({ table, ttl, previous: was }, 'retention changed: table TTL updated')
  }
}
