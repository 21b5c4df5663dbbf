import { flagsAndWords } from './usage.ts'
import type { z } from 'zod'
import {
  KeyPatchSchema,
  KeySpecSchema,
  TeamPatchSchema,
  TeamSpecSchema,
  type ApiKey,
  type ApiTeam,
  type Limits,
} from '@tracegate/schemas'
import { COMMON, fail } from './gateway-client.ts'

export const KEYS_USAGE = `usage: tracegate keys list [--format table|json]
       tracegate keys create --name NAME [--team T] [--user U] [--models a,b] [--expires-at ISO] [LIMITS]
       tracegate keys update ID|NAME [--name N] [--team T] [--user U] [--models a,b] [--expires-at ISO] [LIMITS] [--clear FIELD]...
       tracegate keys rotate ID|NAME
       tracegate keys revoke ID|NAME
       tracegate teams list [--format table|json]
       tracegate teams create --name NAME [LIMITS]
       tracegate teams update NAME [LIMITS] [--clear FIELD]...
       tracegate teams delete NAME
LIMITS: [--budget-usd USD] [--budget-period day|week|month|none] [--soft-budget-usd USD] [--rpm N] [--tpm N] [--max-parallel N]
options of all: [--url http://127.0.0.1:4000] [--token ADMIN_TOKEN]  (or TRACEGATE_URL, TRACEGATE_ADMIN_TOKEN)
Talks to a running gateway's admin API; a secret is printed once, when a key is made or rotated.`

const usage = (problem: string): never => fail(`tracegate: ${problem}\n${KEYS_USAGE}`, 2)

const LIMIT_FLAGS = {
  'budget-usd': { type: 'string' },
  'budget-period': { type: 'string' },
  'soft-budget-usd': { type: 'string' },
  rpm: { type: 'string' },
  tpm: { type: 'string' },
  'max-parallel': { type: 'string' },
  clear: { type: 'string', multiple: true },
  format: { type: 'string', default: 'table' },
  url: COMMON.url,
  token: COMMON.token,
} as const
const KEY_FLAGS = {
  ...LIMIT_FLAGS,
  name: { type: 'string' },
  team: { type: 'string' },
  user: { type: 'string' },
  models: { type: 'string' },
  'expires-at': { type: 'string' },
} as const
const NUMERIC = new Set(['budget_usd', 'soft_budget_usd', 'rpm', 'tpm', 'max_parallel'])
const flagOf = (field: string) => `--${field.replaceAll('_', '-')}`

const parse = (argv: string[]) => flagsAndWords(argv, KEY_FLAGS, KEYS_USAGE)
type Values = ReturnType<typeof parse>['values']

/** The API body from the flags given: field names as the API spells them, numbers as numbers. */
function bodyOf(values: Values, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const field of fields) {
    const raw = (values as Record<string, unknown>)[field.replaceAll('_', '-')]
    if (typeof raw !== 'string') continue
    if (NUMERIC.has(field)) {
      // Number('') is 0: an empty value is a mistake, not a zero.
      if (!/^\d+(\.\d+)?$/.test(raw.trim())) usage(`${flagOf(field)}: expected a number, got "${raw}"`)
      out[field] = Number(raw)
    } else if (field === 'models')
      out.models = raw
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean)
    else out[field] = raw
  }
  for (const field of values.clear ?? []) {
    const name = field.replace(/^--/, '').replaceAll('-', '_')
    if (!fields.includes(name) || name === 'name') usage(`--clear: "${field}" is not a field that can be cleared`)
    out[name] = null
  }
  return out
}

/**
 * Validated here too, so a typo is a usage error (2) naming the flag, before anything is sent. The
 * body is sent as given, not as parsed: the schemas' defaults would turn a patch into a reset.
 */
function checked(schema: z.ZodType, body: Record<string, unknown>): Record<string, unknown> {
  const parsed = schema.safeParse(body)
  if (!parsed.success)
    usage(parsed.error.issues.map((i) => `${flagOf(String(i.path[0] ?? 'input'))}: ${i.message}`).join('\n'))
  return body
}

/** One admin API call: its JSON answer, or exit 1 with the API's own message. */
async function api<T>(values: Values, method: string, path: string, body?: unknown): Promise<T> {
  const url = `${values.url.replace(/\/+$/, '')}${path}`
  let res: Response
  try {
    res = await fetch(url, {
      method,
      headers: {
        ...(values.token ? { authorization: `Bearer ${values.token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch (err) {
    return fail(
      `tracegate: no gateway answers at ${values.url} (${(err as { cause?: Error }).cause?.message ?? err})`,
      1,
    )
  }
  const json = (await res.json().catch(() => null)) as { error?: { message?: string } } | null
  if (!res.ok) return fail(`tracegate: ${res.status} ${json?.error?.message ?? res.statusText}`, 1)
  return json as T
}

/** Columns padded to their widest cell; an empty cell reads "-" so every row has every column. */
function table(head: string[], rows: string[][]): string {
  const cells = rows.map((r) => r.map((c) => c || '-'))
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)))
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  return `${[head, ...cells].map(line).join('\n')}\n`
}

const budget = (l: Limits) => (l.budget_usd === undefined ? '' : `$${l.budget_usd}/${l.budget_period}`)
const num = (n: number | undefined) => (n === undefined ? '' : String(n))
const LIMIT_HEAD = ['BUDGET', 'SOFT', 'RPM', 'TPM', 'PARALLEL']
const limitCells = (l: Limits) => [
  budget(l),
  l.soft_budget_usd === undefined ? '' : `$${l.soft_budget_usd}`,
  num(l.rpm),
  num(l.tpm),
  num(l.max_parallel),
]
const sourceOf = (s: 'config' | 'api') => (s === 'config' ? 'config (read-only)' : 'api')

function printKey(k: ApiKey, what: string): void {
  const out = [`${what} key ${k.name}`, `id      ${k.id}`, `hint    ${k.hint}`]
  if (k.key) out.push(`secret  ${k.key}`)
  process.stdout.write(`${out.join('\n')}\n`)
  if (k.key) process.stderr.write('Store this secret now: the gateway keeps only its hash and cannot show it again.\n')
}

const KEY_FIELDS = [
  ...['name', 'team', 'user', 'models', 'expires_at', 'budget_usd', 'budget_period'],
  ...['soft_budget_usd', 'rpm', 'tpm', 'max_parallel'],
] as const
const TEAM_FIELDS = ['name', 'budget_usd', 'budget_period', 'soft_budget_usd', 'rpm', 'tpm', 'max_parallel'] as const

/** A key by its id, or by its name (names are unique), so nobody has to copy ids around. */
async function keyId(values: Values, ref: string | undefined): Promise<string> {
  if (!ref) return usage('name the key: its id or its name')
  if (/^[ck][0-9a-f]{15}$/.test(ref)) return ref
  const { keys } = await api<{ keys: ApiKey[] }>(values, 'GET', '/api/keys')
  const found = keys.find((k) => k.name === ref)
  return found ? found.id : fail(`tracegate: no key with the id or name "${ref}"`, 1)
}

function one(positionals: string[], what: string): string | undefined {
  if (positionals.length > 1) usage(`one ${what} at a time, got ${positionals.length}`)
  return positionals[0]
}

/** `tracegate keys …` */
export async function keys(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv
  const { values, positionals } = parse(rest)
  if (values.format !== 'table' && values.format !== 'json') usage('--format: table or json')
  switch (sub) {
    case 'list': {
      const { keys } = await api<{ keys: ApiKey[] }>(values, 'GET', '/api/keys')
      if (values.format === 'json') return void process.stdout.write(`${JSON.stringify(keys, null, 2)}\n`)
      const head = ['ID', 'NAME', 'TEAM', 'USER', 'SOURCE', 'HINT', 'MODELS', ...LIMIT_HEAD, 'EXPIRES']
      const rows = keys.map((k) => [
        ...[k.id, k.name, k.team, k.user, sourceOf(k.source), k.hint, (k.models ?? []).join(',')],
        ...limitCells(k),
        k.expires_at ?? '',
      ])
      return void process.stdout.write(table(head, rows))
    }
    case 'create': {
      if (positionals.length) usage(`keys create takes flags only, got "${positionals[0]}"`)
      if (!values.name) usage('--name is required')
      const spec = checked(KeySpecSchema, bodyOf(values, KEY_FIELDS))
      return printKey(await api<ApiKey>(values, 'POST', '/api/keys', spec), 'created')
    }
    case 'update': {
      const patch = checked(KeyPatchSchema, bodyOf(values, KEY_FIELDS))
      if (!Object.keys(patch).length) usage('nothing to change: give a field flag or --clear FIELD')
      const id = await keyId(values, one(positionals, 'key'))
      return printKey(await api<ApiKey>(values, 'PATCH', `/api/keys/${id}`, patch), 'updated')
    }
    case 'rotate':
      return printKey(
        await api<ApiKey>(values, 'POST', `/api/keys/${await keyId(values, one(positionals, 'key'))}/rotate`),
        'rotated',
      )
    case 'revoke': {
      const id = await keyId(values, one(positionals, 'key'))
      await api(values, 'DELETE', `/api/keys/${id}`)
      return void process.stdout.write(`revoked key ${id}\n`)
    }
    default:
      usage(sub ? `unknown keys command "${sub}"` : 'keys needs a command')
  }
}

/** `tracegate teams …` */
export async function teams(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv
  const { values, positionals } = parse(rest)
  if (values.format !== 'table' && values.format !== 'json') usage('--format: table or json')
  for (const f of ['team', 'user', 'models', 'expires-at'] as const)
    if (values[f] !== undefined) usage(`--${f} is a key's field, not a team's`)
  const path = (name: string | undefined) => (name ? `/api/teams/${encodeURIComponent(name)}` : usage('name the team'))
  switch (sub) {
    case 'list': {
      const { teams } = await api<{ teams: ApiTeam[] }>(values, 'GET', '/api/teams')
      if (values.format === 'json') return void process.stdout.write(`${JSON.stringify(teams, null, 2)}\n`)
      const rows = teams.map((t) => [t.name, sourceOf(t.source), ...limitCells(t)])
      return void process.stdout.write(table(['NAME', 'SOURCE', ...LIMIT_HEAD], rows))
    }
    case 'create': {
      if (positionals.length) usage(`teams create takes flags only, got "${positionals[0]}"`)
      if (!values.name) usage('--name is required')
      const team = await api<ApiTeam>(
        values,
        'POST',
        '/api/teams',
        checked(TeamSpecSchema, bodyOf(values, TEAM_FIELDS)),
      )
      return void process.stdout.write(`created team ${team.name}\n`)
    }
    case 'update': {
      const target = path(one(positionals, 'team'))
      const patch = checked(TeamPatchSchema, bodyOf(values, TEAM_FIELDS))
      if (!Object.keys(patch).length) usage('nothing to change: give a field flag or --clear FIELD')
      const team = await api<ApiTeam>(values, 'PATCH', target, patch)
      return void process.stdout.write(`updated team ${team.name}\n`)
    }
    case 'delete': {
      const name = one(positionals, 'team')
      await api(values, 'DELETE', path(name))
      return void process.stdout.write(`deleted team ${name}\n`)
    }
    default:
      usage(sub ? `unknown teams command "${sub}"` : 'teams needs a command')
  }
}
