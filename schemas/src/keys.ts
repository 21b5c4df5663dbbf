import { z } from 'zod'
import { LimitsSchema } from './limits.ts'

const name = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._:@-]*$/, 'letters, digits, spaces and . _ : @ -, starting with a letter or digit')
const metadata = z
  .record(z.string().min(1).max(64), z.string().max(500))
  .refine((m) => Object.keys(m).length <= 20, 'at most 20 metadata entries')

/** What a key made through the API is: who it is (name, team, user), what it may use, and its limits. */
export const KeySpecSchema = LimitsSchema.extend({
  name,
  team: z.string().max(200).default(''),
  user: z.string().max(200).default(''),
  /** Models this key may ask for (aliases, provider/model, or globs such as `openai/*`); absent: any. */
  models: z.array(z.string().min(1).max(200)).max(100).optional(),
  expires_at: z.iso.datetime({ offset: true }).optional(),
  metadata: metadata.default({}),
}).strict()
export type KeySpec = z.infer<typeof KeySpecSchema>

/**
 * A spec's fields as a patch: each optional, null to clear, and without the spec's defaults, so a
 * patch naming one field changes that field alone.
 */
function patchShape<S extends z.ZodRawShape>(shape: S) {
  return Object.fromEntries(
    Object.entries(shape).map(([k, v]) => {
      const field = v instanceof z.ZodDefault ? (v.removeDefault() as z.ZodType) : (v as z.ZodType)
      return [k, field.nullable().optional()]
    }),
  ) as unknown as { [K in keyof S]: z.ZodOptional<z.ZodNullable<S[K]>> }
}

/** A change to a key: any of its fields; null clears an optional one. */
export const KeyPatchSchema = z.object(patchShape(KeySpecSchema.shape)).strict()
export type KeyPatch = z.infer<typeof KeyPatchSchema>

/** What the store keeps of a key: its spec and the secret's hash and last four characters, never the secret. */
export const StoredKeySchema = KeySpecSchema.extend({
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  hint: z.string().max(8),
  created_at: z.string(),
})
export type StoredKey = z.infer<typeof StoredKeySchema>

export const ApiKeySchema = KeySpecSchema.extend({
  id: z.string(),
  /** "…a1b2": enough to recognise a key, never to use it. */
  hint: z.string(),
  source: z.enum(['config', 'api']),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
  /** Only in the answer that made or rotated the key: it is not kept and cannot be shown again. */
  key: z.string().optional(),
})
export type ApiKey = z.infer<typeof ApiKeySchema>

export const TeamSpecSchema = LimitsSchema.extend({ name, metadata: metadata.default({}) }).strict()
export type TeamSpec = z.infer<typeof TeamSpecSchema>

export const TeamPatchSchema = z.object(patchShape(TeamSpecSchema.shape)).strict()
export type TeamPatch = z.infer<typeof TeamPatchSchema>

export const ApiTeamSchema = TeamSpecSchema.extend({
  source: z.enum(['config', 'api']),
  updated_at: z.string().nullable(),
})
export type ApiTeam = z.infer<typeof ApiTeamSchema>
