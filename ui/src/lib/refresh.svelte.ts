import { route } from './router.svelte.ts'

/** How often a page with auto-refresh reloads its data; `off` pauses it. Lives in the URL (`refresh=`). */
export const REFRESH_EVERY = { off: 0, '5s': 5_000, '30s': 30_000, '1m': 60_000, '5m': 300_000 } as const
export type RefreshChoice = keyof typeof REFRESH_EVERY
export const DEFAULT_REFRESH: RefreshChoice = '30s'

export function refreshChoice(q: URLSearchParams = route.query): RefreshChoice {
  const v = q.get('refresh') ?? DEFAULT_REFRESH
  return v in REFRESH_EVERY ? (v as RefreshChoice) : DEFAULT_REFRESH
}

/**
 * Bumped on every auto-refresh. A page reads `refresh.tick` where it computes its range, so a
 * relative range ("last 1h") moves forward and every query reading the range runs again.
 */
export const refresh = $state({ tick: 0 })
