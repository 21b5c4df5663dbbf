import type { IncomingHttpHeaders } from 'node:http'
import { GatewayError } from '../errors.ts'
import type { RoutePlan, Target } from './resolve.ts'

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
  let targets: Target[] = plan.targets
  if (fallbacks !== undefined) {
    const models = fallbacks.split(',').map((m) => m.trim()).filter(Boolean)
    if (!models.length || models.length > 10) throw new GatewayError('invalid_header', 'x-tracegate-fallbacks must list 1 to 10 models, comma separated', 'x-tracegate-fallbacks')
    targets = [...plan.targets]
    for (const m of models) {
      try {
        targets.push(...resolve(m).targets)
      } catch (err) {
        throw new GatewayError('invalid_header', `x-tracegate-fallbacks: ${(err as Error).message}`, 'x-tracegate-fallbacks')
      }
    }
  }
  return {
    ...plan,
    targets,
    policy: { ...plan.policy, ...(retries !== undefined ? { retries } : {}), ...(timeout !== undefined ? { timeout_ms: timeout } : {}) },
  }
}
