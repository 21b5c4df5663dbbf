import type { Logger } from 'pino'
import { ledgerStatements, migrations } from './migrations.ts'
import type { Store } from './client.ts'
import { applyRetention } from './retention.ts'

/** Apply the migrations this database has not seen yet, in order, then a changed retention. */
export async function migrate(store: Store, retentionDays: number, log: Logger): Promise<number[]> {
  const { client, database: db } = store
  for (const query of ledgerStatements(store)) await client.command({ query })
  const rs = await client.query({
    query: `SELECT DISTINCT version FROM ${db}.tracegate_migrations`,
    format: 'JSONEachRow',
  })
  const applied = new Set((await rs.json<{ version: number }>()).map((r) => Number(r.version)))
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
  await applyRetention(store, retentionDays, log)
  return done
}
