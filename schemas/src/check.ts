import { z } from 'zod'
import { RetryConditionSchema } from './config.ts'

/** One configured provider's own model list, as `GET /api/check` read it with the operator's key. */
export const CheckProviderSchema = z.object({
  name: z.string(),
  /** The list could be read; `error` says why not (status and the provider's error code, never its message). */
  listed: z.boolean(),
  models: z.number().int(),
  error: z.string().nullable(),
})

export const CheckTargetSchema = z.object({
  provider: z.string(),
  model: z.string(),
  /** In the provider's list; null when the list could not be read. */
  offered: z.boolean().nullable(),
})

export const CheckAliasSchema = z.object({
  name: z.string(),
  strategy: z.enum(['fallback', 'loadbalance']),
  retries: z.number().int(),
  fallback_on: z.array(RetryConditionSchema),
  /** Every target's model names an embedding model: the alias is probed on /v1/embeddings only. */
  embedding: z.boolean(),
  /** The worst cost of one live probe request, over the alias's targets, from the gateway's price data. */
  probe_usd: z.number(),
  /** Targets without a price: counted as $0 in the estimate, and said so. */
  unpriced: z.array(z.string()),
  targets: z.array(CheckTargetSchema),
})

/** A key, team or user that carries a budget or a limit (as the enforcer counts them: soft budgets and max_parallel too). */
export const CheckLimitSchema = z.object({
  kind: z.enum(['key', 'team', 'user']),
  name: z.string(),
  budget_usd: z.number().nullable(),
  budget_period: z.string(),
  rpm: z.number().nullable(),
  tpm: z.number().nullable(),
  // Defaulted: a CLI newer than the gateway it asks still reads the answer.
  soft_budget_usd: z.number().nullable().default(null),
  max_parallel: z.number().nullable().default(null),
})

/** `GET /api/check`: what `tracegate check` walks the migration checklist against. */
export const CheckFactsSchema = z.object({
  providers: z.array(CheckProviderSchema),
  aliases: z.array(CheckAliasSchema),
  limits: z.array(CheckLimitSchema),
  /** The gateway has an admin token, so `x-tracegate-inject-fault` can be honoured at all. */
  fault_injection: z.boolean(),
  /** The cap on output tokens every live probe asks for. */
  probe_max_tokens: z.number().int(),
})

export type CheckProvider = z.infer<typeof CheckProviderSchema>
export type CheckAlias = z.infer<typeof CheckAliasSchema>
export type CheckLimit = z.infer<typeof CheckLimitSchema>
export type CheckFacts = z.infer<typeof CheckFactsSchema>
