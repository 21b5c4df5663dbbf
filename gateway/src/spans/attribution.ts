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

/** Read the x-tracegate-* attribution headers (they are stripped before forwarding). */
export function attributionFrom(h: IncomingHttpHeaders): Attribution {
  const tags = one(h['x-tracegate-tags'])
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
    tags: tags
      ? tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean)
          .slice(0, 32)
      : [],
    meta,
  }
}
