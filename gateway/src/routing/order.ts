import type { Target } from './resolve.ts'

/**
 * The order targets are tried in: as listed for `fallback`; for `loadbalance`, a weighted draw
 * without replacement, so the first pick follows the weights and the rest serve as fallbacks.
 */
export function attemptOrder(strategy: 'fallback' | 'loadbalance', targets: readonly Target[], random = Math.random): Target[] {
  if (strategy === 'fallback' || targets.length < 2) return targets.slice()
  const pool = targets.slice()
  const out: Target[] = []
  while (pool.length) {
    const total = pool.reduce((s, t) => s + t.weight, 0)
    let r = random() * total
    let i = 0
    while (i < pool.length - 1 && (r -= pool[i]!.weight) >= 0) i++
    out.push(pool.splice(i, 1)[0]!)
  }
  return out
}
