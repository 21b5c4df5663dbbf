import type { IncomingHttpHeaders } from 'node:http'

export interface Attribution {
  workflow: string
  team: string
  user: string
  sessionId: string
  tags: string[]
  meta: Record<string, string>
}

const MAX_VALUE = 256
const META_PREFIX = 'x-tracegate-meta-'

const one = (v: string | string[] | undefined): string =>
  typeof v === 'string' ? v.slice(0, MAX_VALUE) : Array.isArray(v) ? (v[0] ?? '').slice(0, MAX_VALUE) : ''

const MAX_TAGS = 32
const MAX_TAG = 100
/** Tags in order, trimmed, cut to MAX_TAG, each once, at most MAX_TAGS: from headers and bodies alike. */
const tagSet = (tags: unknown[]) =>
  [...new Set(tags.flatMap((t) => (typeof t === 'string' && t.trim() ? [t.trim().slice(0, MAX_TAG)] : [])))].slice(
    0,
    MAX_TAGS,
  )

/**
 * Read the x-tracegate-* attribution headers (they are stripped before forwarding), and LiteLLM's
 * x-litellm-tags, so clients moved from a LiteLLM proxy keep their tags.
 */
export function attributionFrom(h: IncomingHttpHeaders): Attribution {
  const ours = one(h['x-tracegate-tags'])
  const litellm = one(h['x-litellm-tags'])
  const meta: Record<string, string> = {}
  for (const name in h) {
    if (name.startsWith(META_PREFIX) && name.length > META_PREFIX.length)
      meta[name.slice(META_PREFIX.length)] = one(h[name])
  }
  return {
    workflow: one(h['x-tracegate-workflow']),
    team: one(h['x-tracegate-team']),
    user: one(h['x-tracegate-user']),
    sessionId: one(h['x-tracegate-session']),
    tags: ours || litellm ? tagSet([...ours.split(','), ...litellm.split(',')]) : [],
    meta,
  }
}

const text = (v: unknown) => (typeof v === 'string' && v ? v.slice(0, MAX_VALUE) : '')

/**
 * LiteLLM's attribution in the body, for clients moved from a LiteLLM proxy. Each fills only what
 * neither the key nor a header named: OpenAI's `user` or `metadata.trace_user_id` the user,
 * `metadata.trace_name` or `generation_name` the workflow, `metadata.session_id` the session;
 * `metadata.tags` joins the tags. The body itself is forwarded untouched.
 */
export function attributionFromBody(a: Attribution, json: unknown): void {
  if (typeof json !== 'object' || json === null) return
  const body = json as { user?: unknown; metadata?: Record<string, unknown> }
  const m = typeof body.metadata === 'object' && body.metadata !== null ? body.metadata : {}
  a.user ||= text(body.user) || text(m.trace_user_id)
  a.workflow ||= text(m.trace_name) || text(m.generation_name)
  a.sessionId ||= text(m.session_id)
  // Only as many as could be kept are read: the body is the client's, its arrays unbounded.
  if (Array.isArray(m.tags)) a.tags = tagSet([...a.tags, ...m.tags.slice(0, MAX_TAGS)])
}
