import type { IncomingHttpHeaders } from 'node:http'
import type { Config } from '@tracegate/schemas'
import { GatewayError } from '../errors.ts'
import { leaves, type RouteNode, type RoutePlan } from './resolve.ts'
import { MAX_MODEL_LENGTH, problemWithModel } from '../wires/request.ts'

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)

function intHeader(h: IncomingHttpHeaders, name: string, min: number, max: number, why = ''): number | undefined {
  const raw = one(h[name])
  if (raw === undefined) return undefined
  const n = Number(raw.trim())
  if (!/^\d+$/.test(raw.trim()) || n < min || n > max) {
    throw new GatewayError(
      'invalid_header',
      `${name} must be an integer from ${min} to ${max}${why}, got "${raw.slice(0, 50)}"`,
      name,
    )
  }
  return n
}

function fallbackModels(h: IncomingHttpHeaders, max: number): string[] | undefined {
  const raw = one(h['x-tracegate-fallbacks'])
  if (raw === undefined) return undefined
  const models = raw
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean)
  if (!models.length || models.length > max || models.some((m) => problemWithModel(m) !== null)) {
    throw new GatewayError(
      'invalid_header',
      `x-tracegate-fallbacks must list 1 to ${max} models (routing.max_fallbacks), comma separated, each printable ASCII of at most ${MAX_MODEL_LENGTH} characters`,
      'x-tracegate-fallbacks',
    )
  }
  return models
}

/**
 * Per-request control: x-tracegate-retries, x-tracegate-timeout-ms and x-tracegate-fallbacks
 * (models, resolved like the body's model, appended after the plan's own targets). Each is capped
 * (routing.max_retries / max_fallbacks / max_attempts, the timeout by the plan's own), so one
 * request cannot multiply the load on a provider or hold a connection for an hour.
 */
export function applyOverrides(
  plan: RoutePlan,
  h: IncomingHttpHeaders,
  resolve: (model: string) => RoutePlan,
  limits: Config['routing'],
): RoutePlan {
  const retries = intHeader(h, 'x-tracegate-retries', 0, limits.max_retries, ' (routing.max_retries)')
  const timeout = intHeader(h, 'x-tracegate-timeout-ms', 1, plan.policy.timeout_ms, " (the model's timeout_ms)")
  const fallbacks = fallbackModels(h, limits.max_fallbacks)
  if (retries === undefined && timeout === undefined && fallbacks === undefined) return plan
  let { tree, targets, policy } = plan
  if (fallbacks !== undefined) {
    // The plan's own targets keep their strategy as one group; the listed models follow in order.
    const extra: RouteNode[] = []
    for (const m of fallbacks) {
      try {
        const p = resolve(m)
        extra.push({ strategy: p.policy.strategy, weight: 1, children: p.tree })
      } catch (err) {
        throw new GatewayError(
          'invalid_header',
          `x-tracegate-fallbacks: ${(err as Error).message}`,
          'x-tracegate-fallbacks',
        )
      }
    }
    tree = [{ strategy: policy.strategy, weight: 1, children: tree }, ...extra]
    targets = [...targets, ...leaves(extra)]
    policy = { ...policy, strategy: 'fallback' }
  }
  const perTarget = (retries ?? policy.retries) + 1
  if ((retries !== undefined || fallbacks !== undefined) && targets.length * perTarget > limits.max_attempts) {
    const name = fallbacks !== undefined ? 'x-tracegate-fallbacks' : 'x-tracegate-retries'
    throw new GatewayError(
      'invalid_header',
      `${targets.length} target(s) x ${perTarget} attempt(s) each would be ${targets.length * perTarget} upstream attempts; the limit is ${limits.max_attempts} (routing.max_attempts)`,
      name,
    )
  }
  return {
    ...plan,
    tree,
    targets,
    policy: {
      ...policy,
      ...(retries !== undefined ? { retries } : {}),
      ...(timeout !== undefined ? { timeout_ms: timeout } : {}),
    },
  }
}
