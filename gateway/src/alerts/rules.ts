import { createHash, randomBytes } from 'node:crypto'
import { AlertRuleSpecSchema, type AlertRule, type AlertRuleSpec, type AlertsConfig } from '@tracegate/schemas'
import type { Logger } from 'pino'
import type { Store } from '../storage/client.ts'
import { VersionedRecords } from '../storage/versioned-records.ts'

/** Rules one database keeps beyond those in the config file. */
export const MAX_STORED_RULES = 200

/** A config rule's id comes from its name, so its history follows it across restarts and config edits. */
export const configRuleId = (name: string) => `c${createHash('sha256').update(name).digest('hex').slice(0, 15)}`
const newRuleId = () => `a${randomBytes(8).toString('hex').slice(0, 15)}`

/**
 * Rules from the config file (read-only) and rules made through the API, kept in alert_rules as
 * versioned records (storage/versioned-records.ts). Read from ClickHouse each time, so every
 * gateway on one server sees the same rules.
 */
export class AlertRules {
  private readonly fromConfig: AlertRule[]
  private readonly records: VersionedRecords<AlertRuleSpec>

  constructor(store: Store, config: AlertsConfig, log: Logger) {
    // Read with room to spare over what the API may make: rows another version wrote count too.
    this.records = new VersionedRecords(store, 'alert_rules', AlertRuleSpecSchema, log, MAX_STORED_RULES * 2)
    this.fromConfig = config.rules.map((r) => ({ ...r, id: configRuleId(r.name), source: 'config', updated_at: null }))
  }

  async all(): Promise<AlertRule[]> {
    return [...this.fromConfig, ...(await this.stored())]
  }

  async get(id: string): Promise<AlertRule | undefined> {
    return (await this.all()).find((r) => r.id === id)
  }

  async stored(): Promise<AlertRule[]> {
    return (await this.records.list()).map(({ id, record, updatedAt }) => ({
      ...record,
      id,
      source: 'api',
      updated_at: updatedAt,
    }))
  }

  async create(spec: AlertRuleSpec): Promise<AlertRule> {
    return this.write(newRuleId(), spec)
  }

  async update(id: string, spec: AlertRuleSpec): Promise<AlertRule> {
    return this.write(id, spec)
  }

  async remove(id: string): Promise<void> {
    await this.records.write(id, null)
  }

  private async write(id: string, spec: AlertRuleSpec): Promise<AlertRule> {
    const updated = await this.records.write(id, spec)
    return { ...spec, id, source: 'api', updated_at: updated }
  }
}
