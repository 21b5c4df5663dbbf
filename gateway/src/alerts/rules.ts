import { createHash, randomBytes } from 'node:crypto'
import { AlertRuleSpecSchema, type AlertRule, type AlertRuleSpec, type AlertsConfig } from '@tracegate/schemas'
import type { Logger } from 'pino'
import { z } from 'zod'
import type { Store } from '../storage/client.ts'
import { column, queryRows, rowSchema } from '../storage/rows.ts'
import { chTime, isoFromCh } from './time.ts'

/** Rules one database keeps beyond those in the config file. */
export const MAX_STORED_RULES = 200

const STORED_ROWS = rowSchema(
  'alert rules',
  z.object({ id: column.string, spec: column.string, updated_at: column.dateTime }),
)

/** A config rule's id comes from its name, so its history follows it across restarts and config edits. */
export const configRuleId = (name: string) => `c${createHash('sha256').update(name).digest('hex').slice(0, 15)}`
const newRuleId = () => `a${randomBytes(8).toString('hex').slice(0, 15)}`

/**
 * Rules from the config file (read-only) and rules made through the API, kept in alert_rules: each
 * change is a new row with a higher Version, a deletion too, and the newest version of an id wins.
 * Read from ClickHouse each time, so every gateway on one server sees the same rules.
 */
export class AlertRules {
  private readonly fromConfig: AlertRule[]
  private lastVersion = 0

  constructor(
    private readonly store: Store,
    config: AlertsConfig,
    private readonly log: Logger,
  ) {
    this.fromConfig = config.rules.map((r) => ({ ...r, id: configRuleId(r.name), source: 'config', updated_at: null }))
  }

  async all(): Promise<AlertRule[]> {
    return [...this.fromConfig, ...(await this.stored())]
  }

  async get(id: string): Promise<AlertRule | undefined> {
    return (await this.all()).find((r) => r.id === id)
  }

  async stored(): Promise<AlertRule[]> {
    const rows = await queryRows(
      this.store.client,
      {
        query: `SELECT Id AS id, argMax(Spec, Version) AS spec, argMax(UpdatedAt, Version) AS updated_at
          FROM ${this.store.database}.alert_rules GROUP BY Id HAVING argMax(Deleted, Version) = false
          ORDER BY updated_at, id LIMIT ${MAX_STORED_RULES * 2}`,
      },
      STORED_ROWS,
    )
    return rows.flatMap((row): AlertRule[] => {
      const spec = AlertRuleSpecSchema.safeParse(safeJson(row.spec))
      if (spec.success) return [{ ...spec.data, id: row.id, source: 'api', updated_at: isoFromCh(row.updated_at) }]
      // A row another version of the gateway wrote: skipped, not fatal to every other rule.
      this.log.warn({ rule: row.id }, 'alert rule in storage does not match this version; skipped')
      return []
    })
  }

  async create(spec: AlertRuleSpec): Promise<AlertRule> {
    return this.write(newRuleId(), spec, false)
  }

  async update(id: string, spec: AlertRuleSpec): Promise<AlertRule> {
    return this.write(id, spec, false)
  }

  async remove(id: string): Promise<void> {
    await this.write(id, null, true)
  }

  private async write(id: string, spec: AlertRuleSpec, deleted: false): Promise<AlertRule>
  private async write(id: string, spec: null, deleted: true): Promise<void>
  private async write(id: string, spec: AlertRuleSpec | null, deleted: boolean): Promise<AlertRule | void> {
    // Microseconds, and higher than this process's last: two edits in one millisecond keep their order.
    this.lastVersion = Math.max(Date.now() * 1000, this.lastVersion + 1)
    const updated = Date.now()
    await this.store.client.insert({
      table: `${this.store.database}.alert_rules`,
      values: [
        {
          Id: id,
          Version: this.lastVersion,
          Deleted: deleted,
          Spec: JSON.stringify(spec ?? {}),
          UpdatedAt: chTime(updated),
        },
      ],
      format: 'JSONEachRow',
    })
    if (spec) return { ...spec, id, source: 'api', updated_at: new Date(updated).toISOString() }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}
