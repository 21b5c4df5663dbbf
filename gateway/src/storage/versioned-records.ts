import type { Logger } from 'pino'
import { z } from 'zod'
import type { Store } from './client.ts'
import { column, queryRows, rowSchema } from './rows.ts'
import { chTime, isoFromCh } from './ch-time.ts'

const ROWS = rowSchema(
  'versioned records',
  z.object({ id: column.string, spec: column.string, updated_at: column.dateTime }),
)

export interface Stored<T> {
  id: string
  record: T
  updatedAt: string
}

/**
 * Records kept as versions in a ReplacingMergeTree (Id, Version, Deleted, Spec JSON, UpdatedAt):
 * each change is a new row with a higher version, a deletion too, and the newest version of an id
 * wins. Read whole (the tables hold hundreds of rows, not millions), so every gateway on one server
 * sees the same records; a row this version cannot read is skipped and logged, never fatal.
 */
export class VersionedRecords<T> {
  private lastVersion = 0

  constructor(
    private readonly store: Store,
    private readonly table: string,
    private readonly schema: z.ZodType<T>,
    private readonly log: Logger,
    private readonly max: number,
  ) {}

  async list(): Promise<Array<Stored<T>>> {
    const rows = await queryRows(
      this.store.client,
      {
        query: `SELECT Id AS id, argMax(Spec, Version) AS spec, argMax(UpdatedAt, Version) AS updated_at
          FROM ${this.store.database}.${this.table} GROUP BY Id HAVING argMax(Deleted, Version) = false
          ORDER BY updated_at, id LIMIT ${this.max}`,
      },
      ROWS,
    )
    return rows.flatMap((row) => {
      const parsed = this.schema.safeParse(safeJson(row.spec))
      if (parsed.success) return [{ id: row.id, record: parsed.data, updatedAt: isoFromCh(row.updated_at) }]
      this.log.warn({ table: this.table, id: row.id }, 'a stored record does not match this version; skipped')
      return []
    })
  }

  /** Write a new version of `id` (null: its deletion); returns when it is stored. */
  async write(id: string, record: T | null): Promise<string> {
    // Microseconds, and higher than this process's last: two edits in one millisecond keep their order.
    this.lastVersion = Math.max(Date.now() * 1000, this.lastVersion + 1)
    const updated = Date.now()
    await this.store.client.insert({
      table: `${this.store.database}.${this.table}`,
      values: [
        {
          Id: id,
          Version: this.lastVersion,
          Deleted: record === null,
          Spec: JSON.stringify(record ?? {}),
          UpdatedAt: chTime(updated),
        },
      ],
      format: 'JSONEachRow',
    })
    return new Date(updated).toISOString()
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}
