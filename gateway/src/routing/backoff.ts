import type { RoutingPolicy } from '@tracegate/schemas'

/**
 * Wait before retry number `retry` (1-based) of the same target: exponential with jitter and a
 * cap, or the provider's Retry-After when it gave one (capped by retry_after_max_ms by the caller).
 */
export function backoffMs(
  policy: RoutingPolicy,
  retry: number,
  retryAfter: number | null,
  random = Math.random,
): number {
  if (retryAfter !== null) return retryAfter
  const { initial_ms, max_ms, multiplier, jitter } = policy.backoff
  const base = Math.min(max_ms, initial_ms * multiplier ** (retry - 1))
  return Math.round(base * (1 - jitter + jitter * random()))
}
