import type { RoutingPolicy } from '@tracegate/schemas'
import { nowMs } from '../spans/ids.ts'

interface TargetHealth { failures: number[]; coolUntil: number; probing: boolean }

/**
 * Per-process circuit breaker per target: `failures` within `window_ms` put it in cooldown for
 * `duration_ms`; after that one probe request is let through (half-open) and its outcome decides.
 * Times are monotonic: a wall-clock jump neither ends nor stretches a cooldown.
 */
export class Cooldowns {
  private readonly health = new Map<string, TargetHealth>()

  private get(key: string): TargetHealth {
    let h = this.health.get(key)
    if (!h) this.health.set(key, (h = { failures: [], coolUntil: 0, probing: false }))
    return h
  }

  /** 'open' to use, 'probe' when this request is the half-open probe, 'cooling' to skip. */
  admit(key: string, now = nowMs()): 'open' | 'probe' | 'cooling' {
    const h = this.health.get(key)
    if (!h || h.coolUntil === 0) return 'open'
    if (now < h.coolUntil || h.probing) return 'cooling'
    h.probing = true
    return 'probe'
  }

  success(key: string): void {
    this.health.delete(key)
  }

  /** The attempt ended without a verdict (the client went away): let the next request probe. */
  release(key: string): void {
    const h = this.health.get(key)
    if (h) h.probing = false
  }

  failure(key: string, policy: RoutingPolicy, now = nowMs()): void {
    const h = this.get(key)
    const { failures, window_ms, duration_ms } = policy.cooldown
    if (h.probing) {
      h.probing = false
      h.coolUntil = now + duration_ms
      return
    }
    h.failures = h.failures.filter((t) => now - t < window_ms)
    h.failures.push(now)
    if (h.failures.length >= failures) {
      h.coolUntil = now + duration_ms
      h.failures = []
    }
  }
}
