import { z } from 'zod'

/** One name or several: `workflow: checkout` or `workflow: [checkout, search]`. */
const names = z
  .union([z.string().min(1).max(200), z.array(z.string().min(1).max(200)).min(1).max(100)])
  .transform((v) => (typeof v === 'string' ? [v] : v))

/** Which requests of an alias may be shadowed; every field given must match. */
export const ShadowMatchSchema = z
  .object({
    workflow: names.optional(),
    team: names.optional(),
  })
  .strict()

export const ShadowTargetSchema = z.object({ provider: z.string().min(1), model: z.string().min(1) }).strict()

/**
 * Shadow traffic for an alias: a sampled share of its requests is also sent to these targets,
 * after the fact and apart from the client's answer, to compare them before switching.
 */
export const ShadowSchema = z
  .object({
    targets: z.array(ShadowTargetSchema).min(1).max(5),
    /** The share of matching requests shadowed, 0 to 1. */
    sample: z.number().min(0).max(1).default(0.1),
    match: ShadowMatchSchema.default({}),
  })
  .strict()
export type Shadow = z.infer<typeof ShadowSchema>

/**
 * The gateway-wide bound on shadow calls: so many in flight, so many more waiting; a sampled
 * request beyond both is not shadowed, and counted (tracegate_shadow_dropped_total).
 */
export const ShadowQueueSchema = z
  .object({
    max_in_flight: z.number().int().min(1).max(1000).default(16),
    max_queued: z.number().int().min(0).max(10_000).default(256),
  })
  .strict()
