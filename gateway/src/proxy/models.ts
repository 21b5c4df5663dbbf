import type { ModelRouter } from '../routing/resolve.ts'

/**
 * `GET /v1/models` in OpenAI's list shape: the configured aliases, then every configured target
 * as `provider/model`, which is also a valid model name for requests.
 */
export function listModels(router: ModelRouter) {
  const seen = new Set<string>()
  const data: Array<{ id: string; object: 'model'; created: number; owned_by: string }> = []
  const add = (id: string, owner: string) => {
    if (seen.has(id)) return
    seen.add(id)
    data.push({ id, object: 'model', created: 0, owned_by: owner })
  }
  for (const { alias } of router.aliasTargets()) add(alias, 'tracegate')
  for (const { targets } of router.aliasTargets()) for (const t of targets) add(`${t.adapter.name}/${t.model}`, t.adapter.name)
  return { object: 'list' as const, data }
}
