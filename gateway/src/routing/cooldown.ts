import type { RoutingPolicy } from '@tracegate/schemas'
import { nowMs } from '../clock.ts'

interface TargetHealth {
  failures: number[]
  coolUntil: number
  probing: boolean
}

/** Targets tracked at most: model names come from clients, so the map must not grow with them. */
const MAX_TRACKED = 10_000

/**
 * Per-process circuit breaker per target: `failures` within `window_ms` put it in cooldown for
 * `duration_ms`; after that one probe request is let through (half-open) and its outcome decides.
 * Times are monotonic: a wall-clock jump neither ends nor stretches a cooldown.
 */
export class Cooldowns {
  private readonly health = new Map<string, TargetHealth>()

  private get(key: string, now: number, windowMs: number): TargetHealth {
    let h = this.health.get(key)
    if (!h) {
      if (this.health.size >= MAX_TRACKED) this.evict(now, windowMs)
      this.health.set(key, (h = { failures: [], coolUntil: 0, probing: false }))
    }
    return h
  }

  /**
   * Make room: forget targets with nothing to remember (cooldown over, failures out of the window),
   * then the oldest ones not cooling down, so invented names never push a real cooldown out.
   */
  private evict(now: number, windowMs: number): void {
    const cooling = (h: TargetHealth) => h.probing || h.coolUntil > now
    for (const [k, h] of this.health)
      if (!cooling(h) && h.failures.every((t) => now - t >= windowMs)) this.health.delete(k)
    for (const [k, h] of this.health) {
      if (this.health.size < MAX_TRACKED) return
      if (!cooling(h)) this.health.delete(k)
    }
    while (this.health.size >= MAX_TRACKED) this.health.delete(this.health.keys().next().value!)
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
    const h = this.get(key, now, policy.cooldown.window_ms)
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
