import type {
  ApiKey,
  ApiTeam,
  BudgetPeriod,
  KeyPatch,
  KeySpec,
  LimitsUsageResponse,
  ScopeUsage,
  TeamPatch,
  TeamSpec,
} from '@tracegate/schemas'
import { getJson, sendJson } from './api.ts'
import { count, dateTime, usd } from './format.ts'

/** Everything the Keys & budgets page shows: keys, teams and each one's use of its limits. */
export interface KeysPageData {
  keys: ApiKey[]
  teams: ApiTeam[]
  usage: ScopeUsage[]
}

/** The page's one read: swap the usage source here and nothing else changes. */
export async function loadKeysPage(signal?: AbortSignal): Promise<KeysPageData> {
  const [k, t, u] = await Promise.all([
    getJson<{ keys: ApiKey[] }>('/api/keys', signal),
    getJson<{ teams: ApiTeam[] }>('/api/teams', signal),
    getJson<LimitsUsageResponse>('/api/limits/usage', signal),
  ])
  return { keys: k.keys, teams: t.teams, usage: u.scopes }
}

const keyPath = (id: string) => `/api/keys/${encodeURIComponent(id)}`
const teamPath = (name: string) => `/api/teams/${encodeURIComponent(name)}`
export const createKey = (spec: Partial<KeySpec>) => sendJson<ApiKey>('POST', '/api/keys', spec)
export const updateKey = (id: string, patch: KeyPatch) => sendJson<ApiKey>('PATCH', keyPath(id), patch)
export const rotateKey = (id: string) => sendJson<ApiKey>('POST', `${keyPath(id)}/rotate`)
export const revokeKey = (id: string) => sendJson<unknown>('DELETE', keyPath(id))
export const createTeam = (spec: Partial<TeamSpec>) => sendJson<ApiTeam>('POST', '/api/teams', spec)
export const updateTeam = (name: string, patch: TeamPatch) => sendJson<ApiTeam>('PATCH', teamPath(name), patch)
export const deleteTeam = (name: string) => sendJson<unknown>('DELETE', teamPath(name))

/** A number input's value: a number, or '' / null when empty. */
type NumberInput = number | string | null
/** Limits as the form's inputs hold them; empty for "no limit". */
export interface LimitsForm {
  budget_usd: NumberInput
  budget_period: BudgetPeriod
  soft_budget_usd: NumberInput
  rpm: NumberInput
  tpm: NumberInput
  max_parallel: NumberInput
}
export interface TeamForm extends LimitsForm {
  name: string
}
export interface KeyForm extends TeamForm {
  team: string
  user: string
  /** Comma list. */
  models: string
  /** A datetime-local value, in the browser's time zone. */
  expires_at: string
}

const LIMIT_FIELDS = ['budget_usd', 'soft_budget_usd', 'rpm', 'tpm', 'max_parallel'] as const
const emptyLimits = (): LimitsForm => ({
  budget_usd: '',
  budget_period: 'month',
  soft_budget_usd: '',
  rpm: '',
  tpm: '',
  max_parallel: '',
})
export const emptyTeamForm = (): TeamForm => ({ name: '', ...emptyLimits() })
export const emptyKeyForm = (): KeyForm => ({ ...emptyTeamForm(), team: '', user: '', models: '', expires_at: '' })

const text = (n: number | undefined) => (n === undefined ? '' : String(n))
/** An ISO instant as a datetime-local input shows it: the browser's wall clock, to the minute. */
function localInput(iso: string | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

function limitsFormOf(l: ApiTeam | ApiKey): LimitsForm {
  return {
    budget_period: l.budget_period,
    ...(Object.fromEntries(LIMIT_FIELDS.map((f) => [f, text(l[f])])) as Omit<LimitsForm, 'budget_period'>),
  }
}
export const teamFormOf = (t: ApiTeam): TeamForm => ({ name: t.name, ...limitsFormOf(t) })
export const keyFormOf = (k: ApiKey): KeyForm => ({
  name: k.name,
  ...limitsFormOf(k),
  team: k.team,
  user: k.user,
  models: (k.models ?? []).join(', '),
  expires_at: localInput(k.expires_at),
})

/**
 * The limits as the API takes them: numbers, and for an empty input nothing on create, null (clear)
 * on edit. A value that is not a number is sent as it is, so the API's 400 names the field.
 */
function limitsOf(f: LimitsForm, empty: null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { budget_period: f.budget_period }
  for (const field of LIMIT_FIELDS) {
    const v = String(f[field] ?? '').trim()
    out[field] = v === '' ? empty : Number.isNaN(Number(v)) ? v : Number(v)
  }
  return out
}

const modelsOf = (s: string) =>
  s
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean)

function keyBody(f: KeyForm, empty: null | undefined): Record<string, unknown> {
  const models = modelsOf(f.models)
  return {
    name: f.name.trim(),
    team: f.team.trim(),
    user: f.user.trim(),
    ...limitsOf(f, empty),
    models: models.length ? models : empty,
    expires_at: f.expires_at ? new Date(f.expires_at).toISOString() : empty,
  }
}
/** JSON.stringify leaves out what is undefined: a create body holds only what was filled in. */
export const keySpecOf = (f: KeyForm) => keyBody(f, undefined) as Partial<KeySpec>
/**
 * An edit sends every field the form shows (cleared ones as null) and the key's metadata as it is:
 * the API's patch schema would otherwise reset what it defaults (metadata, team, user, period).
 */
export const keyPatchOf = (f: KeyForm, current: ApiKey) =>
  ({ ...keyBody(f, null), metadata: current.metadata }) as KeyPatch
export const teamSpecOf = (f: TeamForm) => ({ name: f.name.trim(), ...limitsOf(f, undefined) }) as Partial<TeamSpec>
export const teamPatchOf = (f: TeamForm, current: ApiTeam) =>
  ({ name: f.name.trim(), ...limitsOf(f, null), metadata: current.metadata }) as TeamPatch

export const usageOf = (usage: ScopeUsage[], kind: ScopeUsage['kind'], name: string) =>
  usage.find((u) => u.kind === kind && u.name === name)

/** "$0.000080 of $0.0030" (budget), "$0.42 spent" (no budget). */
export function spendText(u: ScopeUsage): string {
  const held = u.held_usd > 0 ? ` (+${usd(u.held_usd)} held)` : ''
  return u.budget_usd === null
    ? `${usd(u.spent_usd)} spent${held}`
    : `${usd(u.spent_usd)} of ${usd(u.budget_usd)}${held}`
}

/** "rpm 3 / 60" for each rate limit set; an unlimited one is left out. */
export function limitUseText(u: ScopeUsage): string[] {
  const out: string[] = []
  if (u.rpm !== null) out.push(`rpm ${count(u.rpm_used)} / ${count(u.rpm)}`)
  if (u.tpm !== null) out.push(`tpm ${count(u.tpm_used)} / ${count(u.tpm)}`)
  if (u.max_parallel !== null) out.push(`parallel ${count(u.parallel_open)} / ${count(u.max_parallel)}`)
  return out
}

export const resetsText = (u: ScopeUsage) =>
  u.budget_period === 'none' || !u.resets_at ? 'never resets' : `resets ${dateTime(u.resets_at)}`

/** A scope's limits in one line, for the list: "$50.00/month, soft $40.00, rpm 60". */
export function limitsText(l: ApiKey | ApiTeam): string {
  const parts: string[] = []
  if (l.budget_usd !== undefined) parts.push(`${usd(l.budget_usd)}/${l.budget_period}`)
  if (l.soft_budget_usd !== undefined) parts.push(`soft ${usd(l.soft_budget_usd)}`)
  if (l.rpm !== undefined) parts.push(`rpm ${count(l.rpm)}`)
  if (l.tpm !== undefined) parts.push(`tpm ${count(l.tpm)}`)
  if (l.max_parallel !== undefined) parts.push(`parallel ${count(l.max_parallel)}`)
  return parts.join(', ') || 'none'
}

/** Where a key or team was declared: config ones are read-only on the page. */
export const sourceText = (s: ApiKey['source'] | ApiTeam['source']) =>
  s === 'config' ? 'config (read-only)' : 'explorer / API'

/** The secret of a key just made or rotated, as the page shows it once. */
export interface ShownSecret {
  name: string
  key: string
  rotated: boolean
}

/** Runs a change, hands its error to onError, and reloads the page's lists; true when it went through. */
export type Act = (fn: () => Promise<unknown>, onError: (message: string) => void) => Promise<boolean>
