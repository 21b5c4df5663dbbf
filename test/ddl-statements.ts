import type { Layout } from '../gateway/src/storage/layout.ts'
import { ledgerStatements, migrations, retentionTtls } from '../gateway/src/storage/migrations.ts'
import { retentionStatement } from '../gateway/src/storage/retention.ts'

/**
 * Every statement a layout runs against a fresh database, in order and in sections: the ledger,
 * each migration (retention_days 30), and what retention_days changed to 7 runs at the next start.
 */
export function ddlStatements(layout: Layout): Array<{ section: string; statements: string[] }> {
  return [
    { section: 'ledger', statements: ledgerStatements(layout) },
    ...migrations({ ...layout, retentionDays: 30 }).map((m) => ({
      section: `v${m.version}: ${m.name}`,
      statements: m.statements,
    })),
    {
      section: 'retention_days changed to 7 (applied at start, only to tables whose TTL differs)',
      statements: Object.entries(retentionTtls(7)).map(([table, ttl]) => retentionStatement(layout, table, ttl)),
    },
  ]
}
