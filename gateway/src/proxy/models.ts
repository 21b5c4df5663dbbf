import type { ModelRouter } from '../routing/resolve.ts'
import type { ProviderAdapter } from '../providers/types.ts'
import { joinPath } from '../providers/paths.ts'

interface ModelEntry {
  id: string
  object: 'model'
  created: number
  owned_by: string
}

const UPSTREAM_LIST_TIMEOUT_MS = 5000

/** The default provider's own model list, with the caller's (or the configured) key; [] when it cannot be had. */
async function upstreamModels(adapter: ProviderAdapter, key: string | undefined): Promise<ModelEntry[]> {
  try {
    const headers: Record<string, string> = {}
    for (const [k, v] of adapter.defaultHeaders) headers[k] = v
    if (key) for (const [k, v] of adapter.authHeaders(key)) headers[k] = v
    const res = await adapter.dispatcher.request({
      origin: adapter.openai.origin,
      path: joinPath(adapter.openai.path, '/models') + adapter.query,
      method: 'GET',
      headers,
      headersTimeout: UPSTREAM_LIST_TIMEOUT_MS,
      bodyTimeout: UPSTREAM_LIST_TIMEOUT_MS,
    })
    const body = (await res.body.json()) as { data?: Array<{ id?: unknown; created?: unknown; owned_by?: unknown }> }
    if (res.statusCode !== 200 || !Array.isArray(body.data)) return []
    return body.data
      .filter((m) => typeof m.id === 'string')
      .map((m) => ({
        id: m.id as string,
        object: 'model',
        created: typeof m.created === 'number' ? m.created : 0,
        owned_by: typeof m.owned_by === 'string' ? m.owned_by : adapter.name,
      }))
  } catch {
    return []
  }
}

/**
 * `GET /v1/models` in OpenAI's list shape: the configured aliases, every configured target as
 * `provider/model` (also a valid model name), then the default provider's own models.
 */
export async function listModels(
  router: ModelRouter,
  defaultProvider: ProviderAdapter | undefined,
  key: string | undefined,
) {
  const seen = new Set<string>()
  const data: ModelEntry[] = []
  const add = (m: ModelEntry) => {
    if (seen.has(m.id)) return
    seen.add(m.id)
    data.push(m)
  }
  for (const { alias } of router.aliasTargets()) add({ id: alias, object: 'model', created: 0, owned_by: 'tracegate' })
  for (const { targets } of router.aliasTargets())
    for (const t of targets)
      add({ id: `${t.adapter.name}/${t.model}`, object: 'model', created: 0, owned_by: t.adapter.name })
  if (defaultProvider) for (const m of await upstreamModels(defaultProvider, key)) add(m)
  return { object: 'list' as const, data }
}
