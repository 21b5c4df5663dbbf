import type { ProviderAdapter } from '../providers/types.ts'
import { joinPath } from '../providers/paths.ts'

const LIST_TIMEOUT_MS = 10_000
/** Anthropic pages its list; more pages than this is no model list anyone configured against. */
const MAX_PAGES = 10

export type ModelList = { ok: true; ids: Set<string> } | { ok: false; error: string }

interface ListPage {
  data?: Array<{ id?: unknown }>
  has_more?: unknown
  last_id?: unknown
  error?: { code?: unknown; type?: unknown }
  type?: unknown
}

/**
 * Why a list failed, as the HTTP status and the provider's error code or type only: an error
 * message can quote part of the key (OpenAI's "Incorrect API key provided: sk-…"), and none of
 * it may leave the gateway.
 */
function failure(status: number, body: ListPage | null): string {
  const e = body?.error
  const code = typeof e?.code === 'string' ? e.code : typeof e?.type === 'string' ? e.type : ''
  return code ? `${status} ${code.slice(0, 60)}` : String(status)
}

async function page(adapter: ProviderAdapter, key: string | undefined, after: string | null) {
  const headers: Record<string, string> = {}
  for (const [k, v] of adapter.defaultHeaders) headers[k] = v
  if (key) for (const [k, v] of adapter.authHeaders(key)) headers[k] = v
  const query = adapter.type === 'anthropic' ? `limit=1000${after ? `&after_id=${encodeURIComponent(after)}` : ''}` : ''
  const base = joinPath(adapter.openai.path, '/models') + adapter.query
  const path = query ? `${base}${base.includes('?') ? '&' : '?'}${query}` : base
  const res = await adapter.dispatcher.request({
    origin: adapter.openai.origin,
    path,
    method: 'GET',
    headers,
    headersTimeout: LIST_TIMEOUT_MS,
    bodyTimeout: LIST_TIMEOUT_MS,
  })
  const body = (await res.body.json().catch(() => null)) as ListPage | null
  return { status: res.statusCode, body }
}

/**
 * A provider's own model list (`GET …/models`, Anthropic's pages followed) with the operator's
 * configured key. Ids are kept as listed and without Gemini's `models/` prefix, so either
 * spelling of a target's model matches.
 */
export async function listProviderModels(adapter: ProviderAdapter): Promise<ModelList> {
  const ids = new Set<string>()
  let after: string | null = null
  try {
    for (let n = 0; n < MAX_PAGES; n++) {
      const { status, body } = await page(adapter, adapter.configKey, after)
      if (status !== 200 || !Array.isArray(body?.data)) return { ok: false, error: failure(status, body) }
      for (const m of body.data) {
        if (typeof m.id !== 'string') continue
        ids.add(m.id)
        if (m.id.startsWith('models/')) ids.add(m.id.slice('models/'.length))
      }
      if (body.has_more !== true || typeof body.last_id !== 'string') break
      after = body.last_id
    }
    return { ok: true, ids }
  } catch (err) {
    return { ok: false, error: (err as { code?: string }).code ?? 'unreachable' }
  }
}
