import type { IncomingHttpHeaders } from 'node:http'
import { GatewayError } from '../errors.ts'
import { leaves, type RouteNode, type RoutePlan } from './resolve.ts'

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)

function intHeader(h: IncomingHttpHeaders, name: string, min: number, max: number): number | undefined {
  const raw = one(h[name])
  if (raw === undefined) return undefined
  const n = Number(raw.trim())
  if (!/^\d+$/.test(raw.trim()) || n < min || n > max) {
    throw new GatewayError('invalid_header', `${name} must be an integer from ${min} to ${max}, got "${raw.slice(0, 50)}"`, name)
  }
  return n
}

/**
 * Per-request control: x-tracegate-retries, x-tracegate-timeout-ms and x-tracegate-fallbacks
 * (models, resolved like the body's model, appended after the plan's own targets).
 */
export function applyOverrides(plan: RoutePlan, h: IncomingHttpHeaders, resolve: (model: string) => RoutePlan): RoutePlan {
  const retries = intHeader(h, 'x-tracegate-retries', 0, 10)
  const timeout = intHeader(h, 'x-tracegate-timeout-ms', 1, 3_600_000)
  const fallbacks = one(h['x-tracegate-fallbacks'])
  if (retries === undefined && timeout === undefined && fallbacks === undefined) return plan
  let { tree, targets, policy } = plan
  if (fallbacks !== undefined) {
    const models = fallbacks.split(',').map((m) => m.trim()).filter(Boolean)
    if (!models.length || models.length > 10) throw new GatewayError('invalid_header', 'x-tracegate-fallbacks must list 1 to 10 models, comma separated', 'x-tracegate-fallbacks')
    // The plan's own targets keep their strategy as one group; the listed models follow in order.
    const extra: RouteNode[] = []
    for (const m of models) {
      try {
        const p = resolve(m)
        extra.push({ strategy: p.policy.strategy, weight: 1, children: p.tree })
      } catch (err) {
        throw new GatewayError('invalid_header', `x-tracegate-fallbacks: ${(err as Error).message}`, 'x-tracegate-fallbacks')
      }
    }
    tree = [{ strategy: policy.strategy, weight: 1, children: tree }, ...extra]
    targets = [...targets, ...leaves(extra)]
    policy = { ...policy, strategy: 'fallback' }
  }
  return {
    ...plan, tree, targets,
    policy: { ...policy, ...(retries !== undefined ? { retries } : {}), ...(timeout !== undefined ? { timeout_ms: timeout } : {}) },
  }
}
