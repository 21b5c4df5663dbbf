import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { KeySpecSchema, TeamSpecSchema, type ApiKey, type ApiTeam, type KeyPatch } from '@tracegate/schemas'
import { sha256, type KeyDirectory } from '../keys/directory.ts'
import type { Enforcer } from '../limits/enforcer.ts'
import { GatewayError, invalidInput } from '../errors.ts'
import { adminGuard } from '../api/admin-auth.ts'
import { fromStore } from '../api/storage-errors.ts'
import { budgetPeriod, durationMs } from './shared.ts'

/**
 * LiteLLM's key-management endpoints (/key/generate, /key/info, /key/update, /key/delete,
 * /team/new, /team/info) on top of tracegate's keys and teams, so scripts written against a
 * LiteLLM proxy keep working: the admin token stands in for LiteLLM's master key, a team's id is
 * its name. Fields tracegate has no use for are accepted and ignored, as LiteLLM clients send many.
 */

const limit = z.number().int().positive().nullable().optional()
const LiteLimitsSchema = z.looseObject({
  max_budget: z.number().min(0).nullable().optional(),
  soft_budget: z.number().min(0).nullable().optional(),
  budget_duration: z.string().max(20).nullable().optional(),
  tpm_limit: limit,
  rpm_limit: limit,
  max_parallel_requests: limit,
})
const LiteKeySchema = LiteLimitsSchema.extend({
  key_alias: z.string().min(1).max(100).nullable().optional(),
  models: z.array(z.string().min(1).max(200)).max(100).nullable().optional(),
  team_id: z.string().max(100).nullable().optional(),
  user_id: z.string().max(200).nullable().optional(),
  metadata: z.record(z.string().max(64), z.unknown()).nullable().optional(),
  /** How long the key lives: "30d", "1h". */
  duration: z.string().max(20).nullable().optional(),
})
const LiteKeyUpdateSchema = LiteKeySchema.extend({ key: z.string().min(1).max(200) })
const LiteKeyDeleteSchema = z.looseObject({
  keys: z.array(z.string().min(1).max(200)).max(100).optional(),
  key_aliases: z.array(z.string().min(1).max(100)).max(100).optional(),
})
const LiteTeamSchema = LiteLimitsSchema.extend({
  team_alias: z.string().min(1).max(100).optional(),
  team_id: z.string().min(1).max(100).optional(),
})

function parsed<T>(req: FastifyRequest, schema: z.ZodType<T>, where: 'body' | 'query'): T {
  const b = req.body as { json?: unknown; jsonError?: string | null } | undefined
  if (where === 'body' && b?.jsonError)
    throw new GatewayError('invalid_json', `request body is not valid JSON: ${b.jsonError}`)
  const r = schema.safeParse(where === 'body' ? b?.json : req.query)
  if (!r.success) throw invalidInput(r.error.issues, where)
  return r.data
}

function expiry(duration: string): string {
  const ms = durationMs(duration)
  if (ms === null)
    throw new GatewayError(
      'invalid_request',
      `duration "${duration}" is not a number and s, m, h, d, w or mo`,
      'duration',
    )
  return new Date(Date.now() + ms).toISOString()
}

/** LiteLLM's limit fields as tracegate's; null clears in an update, absent keeps. */
function limitsOf(b: z.infer<typeof LiteLimitsSchema>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (b.max_budget !== undefined) out.budget_usd = b.max_budget
  if (b.soft_budget !== undefined) out.soft_budget_usd = b.soft_budget
  if (b.budget_duration !== undefined)
    out.budget_period = b.budget_duration === null ? null : budgetPeriod(b.budget_duration)[0]
  else if (b.max_budget !== undefined && b.max_budget !== null) out.budget_period = 'none'
  if (b.tpm_limit !== undefined) out.tpm = b.tpm_limit
  if (b.rpm_limit !== undefined) out.rpm = b.rpm_limit
  if (b.max_parallel_requests !== undefined) out.max_parallel = b.max_parallel_requests
  return out
}

function keyFields(b: z.infer<typeof LiteKeySchema>): Record<string, unknown> {
  const out = limitsOf(b)
  if (b.key_alias !== undefined) out.name = b.key_alias
  if (b.models !== undefined) out.models = b.models?.length ? b.models : null
  if (b.team_id !== undefined) out.team = b.team_id ?? ''
  if (b.user_id !== undefined) out.user = b.user_id ?? ''
  if (b.duration !== undefined) out.expires_at = b.duration === null ? null : expiry(b.duration)
  if (b.metadata)
    out.metadata = Object.fromEntries(
      Object.entries(b.metadata).map(([k, v]) => [k, (typeof v === 'string' ? v : JSON.stringify(v)).slice(0, 500)]),
    )
  return out
}

/** A key as LiteLLM answers it; its spend this period when the limits store counts it. */
function liteKey(k: ApiKey, spend: number | undefined): Record<string, unknown> {
  return {
    key_alias: k.name,
    key_name: k.hint,
    token_id: k.id,
    team_id: k.team || null,
    user_id: k.user || null,
    models: k.models ?? [],
    max_budget: k.budget_usd ?? null,
    budget_duration: k.budget_usd === undefined || k.budget_period === 'none' ? null : k.budget_period,
    soft_budget: k.soft_budget_usd ?? null,
    tpm_limit: k.tpm ?? null,
    rpm_limit: k.rpm ?? null,
    max_parallel_requests: k.max_parallel ?? null,
    expires: k.expires_at ?? null,
    metadata: k.metadata ?? {},
    spend: spend ?? 0,
  }
}

function liteTeam(t: ApiTeam, spend: number | undefined): Record<string, unknown> {
  return {
    team_id: t.name,
    team_alias: t.name,
    max_budget: t.budget_usd ?? null,
    budget_duration: t.budget_usd === undefined || t.budget_period === 'none' ? null : t.budget_period,
    tpm_limit: t.tpm ?? null,
    rpm_limit: t.rpm ?? null,
    max_parallel_requests: t.max_parallel ?? null,
    spend: spend ?? 0,
  }
}

export async function litellmKeyEndpoints(
  app: FastifyInstance,
  opts: { directory: KeyDirectory; limits: Enforcer; adminToken: string | undefined },
): Promise<void> {
  const { directory } = opts
  app.addHook('onRequest', adminGuard(opts.adminToken))
  const spendOf = async (kind: 'key' | 'team', name: string) =>
    (await opts.limits.usage()).find((u) => u.kind === kind && u.name === name)?.spent_usd
  /** A key by its secret (what LiteLLM clients hold) or by its id. */
  const keyOf = (ref: string): ApiKey => {
    const found = directory.keyById(directory.lookup(sha256(ref))?.id ?? ref)
    if (!found) throw new GatewayError('not_found', 'no such key', 'key')
    return found
  }

  app.post('/key/generate', async (req) => {
    const b = parsed(req, LiteKeySchema, 'body')
    const fields = keyFields(b)
    const spec = { name: `litellm-${Date.now().toString(36)}`, ...fields }
    const made = await fromStore(req, directory.createKey(valid(KeySpecSchema, stripNulls(spec))))
    return { key: made.key, ...liteKey(made, 0) }
  })
  app.get('/key/info', async (req) => {
    const { key } = parsed(req, z.looseObject({ key: z.string().min(1).max(200) }), 'query')
    const k = keyOf(key)
    return { key: k.hint, info: liteKey(k, await spendOf('key', k.name)) }
  })
  app.post('/key/update', async (req) => {
    const b = parsed(req, LiteKeyUpdateSchema, 'body')
    const k = keyOf(b.key)
    const updated = await fromStore(req, directory.updateKey(k.id, keyFields(b) as KeyPatch))
    return liteKey(updated, await spendOf('key', updated.name))
  })
  app.post('/key/delete', async (req) => {
    const b = parsed(req, LiteKeyDeleteSchema, 'body')
    const byAlias = (b.key_aliases ?? []).flatMap((a) => directory.keyByName(a) ?? [])
    const targets = [...(b.keys ?? []).map(keyOf), ...byAlias]
    for (const k of targets) await fromStore(req, directory.revokeKey(k.id))
    return { deleted_keys: [...(b.keys ?? []), ...(b.key_aliases ?? [])] }
  })
  app.post('/team/new', async (req) => {
    const b = parsed(req, LiteTeamSchema, 'body')
    const name = b.team_alias ?? b.team_id
    if (!name) throw new GatewayError('invalid_request', 'team_alias or team_id is required', 'team_alias')
    const team = await fromStore(req, directory.createTeam(valid(TeamSpecSchema, stripNulls({ name, ...limitsOf(b) }))))
    return liteTeam(team, 0)
  })
  app.get('/team/info', async (req) => {
    const { team_id } = parsed(req, z.looseObject({ team_id: z.string().min(1).max(100) }), 'query')
    const team = directory.team(team_id)
    if (!team) throw new GatewayError('not_found', `no team "${team_id}"`, 'team_id')
    return { team_id, team_info: liteTeam(team, await spendOf('team', team_id)) }
  })
}

/** Checked against tracegate's own schema: a LiteLLM value tracegate cannot hold is a 400 naming it. */
function valid<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value)
  if (!r.success) throw invalidInput(r.error.issues, 'body')
  return r.data
}

/** A new key or team has nothing to clear: nulls mean "not set". */
function stripNulls(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined))
}
