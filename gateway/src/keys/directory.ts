import { hash, randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import {
  StoredKeySchema,
  TeamSpecSchema,
  type ApiKey,
  type ApiTeam,
  type Config,
  type KeyPatch,
  type KeySpec,
  type Limits,
  type StoredKey,
  type TeamPatch,
  type TeamSpec,
} from '@tracegate/schemas'
import type { z } from 'zod'
import type { Store } from '../storage/client.ts'
import { VersionedRecords } from '../storage/versioned-records.ts'
import { GatewayError, invalidInput } from '../errors.ts'

/** One-shot `crypto.hash`: a third of createHash's cost for a short key, and this runs on every request. */
export const sha256 = (s: string) => hash('sha256', s, 'hex')

/** A key as the request path needs it: who it is and its rules, whichever source it came from. */
export interface KeyRecord extends Limits {
  id: string
  name: string
  team: string
  user: string
  models?: string[]
  expires_at?: string
  metadata: Record<string, string>
  hint: string
  source: 'config' | 'api'
  created_at: string | null
  updated_at: string | null
}

/** Keys and teams made through the API, beyond what the config declares: what one reread loads. */
const MAX_STORED_KEYS = 10_000
const MAX_STORED_TEAMS = 1_000
/** How often a gateway rereads keys and teams: another replica's change shows within this. */
const REFRESH_MS = 2_000

const newSecret = () => `tg-${randomBytes(24).toString('base64url')}`
const newKeyId = () => `k${randomBytes(8).toString('hex').slice(0, 15)}`
const configKeyId = (name: string) => `c${sha256(name).slice(0, 15)}`
const hintOf = (secret: string) => `…${secret.slice(-4)}`
const apiKeyOf = ({ id, hint, source, created_at, updated_at, ...rest }: KeyRecord): ApiKey => ({
  ...rest,
  id,
  hint,
  source,
  created_at,
  updated_at,
})

/** Apply a patch: a field set to null is cleared, one absent is kept. */
function patched<T extends object>(base: T, patch: object): T {
  const out = { ...base } as Record<string, unknown>
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else if (v !== undefined) out[k] = v
  }
  return out as T
}

/**
 * What is about to be stored, checked whole: a patch can leave a record invalid (`"name": null`),
 * and that is the caller's 400 naming the field, not a storage failure.
 */
function storable<T>(schema: z.ZodType<T>, record: unknown): T {
  const parsed = schema.safeParse(record)
  if (!parsed.success) throw invalidInput(parsed.error.issues, 'body')
  return parsed.data
}

/**
 * Every gateway key and team this gateway knows: those in the config (read-only) and those made
 * through the admin API, kept in ClickHouse and reread every REFRESH_MS, so every replica sees a
 * change within seconds. Secrets are never kept: a key is found by its SHA-256.
 */
export class KeyDirectory {
  private byHash = new Map<string, KeyRecord>()
  private byName = new Map<string, KeyRecord>()
  private byId = new Map<string, KeyRecord>()
  private teams = new Map<string, ApiTeam>()
  private readonly users: Map<string, Limits>
  private readonly configKeys: Array<[string, KeyRecord]>
  private readonly configTeams: ApiTeam[]
  private readonly keyStore: VersionedRecords<StoredKey> | null
  private readonly teamStore: VersionedRecords<TeamSpec> | null
  private timer: NodeJS.Timeout | null = null

  constructor(
    config: Config,
    store: Store | null,
    private readonly log: Logger,
  ) {
    // The config's secret itself is dropped here: only its hash and last four characters are kept.
    this.configKeys = config.keys.map(({ key: secret, ...k }) => [
      sha256(secret),
      {
        ...k,
        id: configKeyId(k.name),
        metadata: {},
        hint: hintOf(secret),
        source: 'config',
        created_at: null,
        updated_at: null,
      },
    ])
    this.configTeams = config.teams.map((t) => ({ ...t, metadata: {}, source: 'config', updated_at: null }))
    this.users = new Map(config.users.map((u) => [u.name, u]))
    this.keyStore = store ? new VersionedRecords(store, 'api_keys', StoredKeySchema, log, MAX_STORED_KEYS) : null
    this.teamStore = store ? new VersionedRecords(store, 'api_teams', TeamSpecSchema, log, MAX_STORED_TEAMS) : null
    this.rebuild([], [])
  }

  /** Read the stored keys and teams now, then every REFRESH_MS. */
  async start(): Promise<void> {
    // Storage down at start: the config's keys work now, the stored ones once it answers.
    await this.refresh().catch(() => undefined)
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), REFRESH_MS)
    this.timer.unref()
  }

  close(): void {
    if (this.timer) clearInterval(this.timer)
  }

  async refresh(): Promise<void> {
    if (!this.keyStore || !this.teamStore) return
    try {
      const [keys, teams] = await Promise.all([this.keyStore.list(), this.teamStore.list()])
      this.rebuild(keys, teams)
    } catch (err) {
      // The last good set stays in force: a storage hiccup must not lock every caller out.
      this.log.warn({ err }, 'could not reread gateway keys and teams; the last ones read stay in force')
      throw err
    }
  }

  /** Any gateway key at all: callers must then present one (bring-your-own keys are off). */
  get hasKeys(): boolean {
    return this.byHash.size > 0
  }

  lookup(secretHash: string): KeyRecord | undefined {
    return this.byHash.get(secretHash)
  }

  keyByName(name: string): KeyRecord | undefined {
    return this.byName.get(name)
  }

  team(name: string): ApiTeam | undefined {
    return this.teams.get(name)
  }

  user(name: string): Limits | undefined {
    return this.users.get(name)
  }

  keyById(id: string): ApiKey | undefined {
    const k = this.byId.get(id)
    return k && apiKeyOf(k)
  }

  listKeys(): ApiKey[] {
    return [...this.byName.values()].map(apiKeyOf)
  }

  listTeams(): ApiTeam[] {
    return [...this.teams.values()]
  }

  userNames(): string[] {
    return [...this.users.keys()]
  }

  async createKey(spec: KeySpec): Promise<ApiKey> {
    this.assertFreeKeyName(spec.name)
    // Every stored key counts, one a config key of the same name hides too: all are read back.
    if (this.storedRecords.size >= MAX_STORED_KEYS)
      throw new GatewayError('invalid_request', `at most ${MAX_STORED_KEYS} keys can be made through the API`)
    const secret = newSecret()
    const stored: StoredKey = {
      ...spec,
      hash: sha256(secret),
      hint: hintOf(secret),
      created_at: new Date().toISOString(),
    }
    return { ...(await this.saveKey(newKeyId(), stored)), key: secret }
  }

  async updateKey(id: string, patch: KeyPatch): Promise<ApiKey> {
    const current = this.storedKey(id)
    if (patch.name && patch.name !== current.record.name) this.assertFreeKeyName(patch.name)
    return this.saveKey(id, patched(current.record, patch))
  }

  async rotateKey(id: string): Promise<ApiKey> {
    const current = this.storedKey(id)
    const secret = newSecret()
    return {
      ...(await this.saveKey(id, { ...current.record, hash: sha256(secret), hint: hintOf(secret) })),
      key: secret,
    }
  }

  async revokeKey(id: string): Promise<void> {
    this.storedKey(id)
    await this.keyStore!.write(id, null)
    await this.refresh()
  }

  async createTeam(spec: TeamSpec): Promise<ApiTeam> {
    if (this.teams.has(spec.name))
      throw new GatewayError('invalid_request', `a team named "${spec.name}" exists`, 'name')
    if (this.storedTeams >= MAX_STORED_TEAMS)
      throw new GatewayError('invalid_request', `at most ${MAX_STORED_TEAMS} teams can be made through the API`)
    return this.saveTeam(spec)
  }

  async updateTeam(name: string, patch: TeamPatch): Promise<ApiTeam> {
    const current = this.storedTeam(name)
    if (patch.name && patch.name !== name)
      throw new GatewayError('invalid_request', 'a team cannot be renamed: make a new one', 'name')
    const { source: _source, updated_at: _updated, ...spec } = current
    return this.saveTeam(patched(spec, patch))
  }

  async deleteTeam(name: string): Promise<void> {
    this.storedTeam(name)
    await this.teamStore!.write(name, null)
    await this.refresh()
  }

  private async saveKey(id: string, stored: StoredKey): Promise<ApiKey> {
    this.writable()
    await this.keyStore!.write(id, storable(StoredKeySchema, stored))
    await this.refresh()
    return this.keyById(id)!
  }

  private async saveTeam(spec: TeamSpec): Promise<ApiTeam> {
    this.writable()
    const valid = storable(TeamSpecSchema, spec)
    await this.teamStore!.write(valid.name, valid)
    await this.refresh()
    return this.teams.get(valid.name)!
  }

  private storedKey(id: string): { record: StoredKey } {
    const found = this.byId.get(id)
    if (!found) throw new GatewayError('not_found', `no key with id "${id.slice(0, 40)}"`)
    if (found.source === 'config')
      throw new GatewayError(
        'invalid_request',
        `key "${found.name}" is declared in the config file: edit it there`,
        'id',
      )
    return { record: this.storedRecords.get(id)! }
  }

  private storedTeam(name: string): ApiTeam {
    const team = this.teams.get(name)
    if (!team) throw new GatewayError('not_found', `no team named "${name.slice(0, 100)}"`)
    if (team.source === 'config')
      throw new GatewayError('invalid_request', `team "${name}" is declared in the config file: edit it there`, 'name')
    return team
  }

  private assertFreeKeyName(name: string): void {
    if (this.byName.has(name)) throw new GatewayError('invalid_request', `a key named "${name}" exists`, 'name')
  }

  private writable(): void {
    if (!this.keyStore) throw new GatewayError('invalid_request', 'keys cannot be stored without storage')
  }

  private storedRecords = new Map<string, StoredKey>()
  private storedTeams = 0

  /** Config entries win over stored ones of the same name: the file is what the operator sees. */
  private rebuild(
    keys: Array<{ id: string; record: StoredKey; updatedAt: string }>,
    teams: Array<{ record: TeamSpec; updatedAt: string }>,
  ): void {
    const byHash = new Map(this.configKeys)
    const byName = new Map(this.configKeys.map(([, k]) => [k.name, k]))
    const records = new Map<string, StoredKey>()
    for (const { id, record, updatedAt } of keys) {
      records.set(id, record)
      if (byName.has(record.name)) continue
      const { hash, hint, created_at, ...spec } = record
      const k: KeyRecord = { ...spec, id, hint, source: 'api', created_at, updated_at: updatedAt }
      byHash.set(hash, k)
      byName.set(k.name, k)
    }
    const byTeam = new Map(this.configTeams.map((t) => [t.name, t]))
    for (const { record, updatedAt } of teams)
      if (!byTeam.has(record.name)) byTeam.set(record.name, { ...record, source: 'api', updated_at: updatedAt })
    this.byHash = byHash
    this.byName = byName
    this.byId = new Map([...byName.values()].map((k) => [k.id, k]))
    this.teams = byTeam
    this.storedRecords = records
    this.storedTeams = teams.length
  }
}
