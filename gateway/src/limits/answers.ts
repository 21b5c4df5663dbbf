import { GatewayError } from '../errors.ts'
import { WINDOW_MS, type Refusal, type Scope, type ScopeWindows, type Standing } from './types.ts'

/** OpenAI's reset format: "1s", "6m0s", "1h2m3s". */
export function resetText(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const rest = s % 60
  return h ? `${h}h${m}m${rest}s` : m ? `${m}m${rest}s` : `${rest}s`
}

/** Dollars with digits enough to tell a small budget's spend from its limit. */
const dollars = (n: number) => `$${n.toFixed(n < 0.01 ? 6 : n < 1 ? 4 : 2)}`

/** Each limit's standing in the scope that has the least of it left, whichever store counted. */
export function tightest(scopes: Scope[], windows: ScopeWindows[], now: number): Standing {
  const out: Standing = {}
  scopes.forEach(({ limits: l }, i) => {
    const w = windows[i]!
    if (l.rpm !== undefined) {
      const s = {
        limit: l.rpm,
        remaining: Math.max(0, l.rpm - w.requests),
        resetMs: w.oldestRequestAt + WINDOW_MS - now,
      }
      if (!out.requests || s.remaining < out.requests.remaining) out.requests = s
    }
    if (l.tpm !== undefined) {
      const s = { limit: l.tpm, remaining: Math.max(0, l.tpm - w.tokens), resetMs: w.oldestTokensAt + WINDOW_MS - now }
      if (!out.tokens || s.remaining < out.tokens.remaining) out.tokens = s
    }
    if (l.budget_usd !== undefined) {
      const s = { limitUsd: l.budget_usd, remainingUsd: Math.max(0, l.budget_usd - w.spentUsd - w.heldUsd) }
      if (!out.budget || s.remainingUsd < out.budget.remainingUsd) out.budget = s
    }
  })
  return out
}

/** The x-ratelimit-* headers (OpenAI's names) and the budget left, from the tightest scope. */
export function standingHeaders(s: Standing): Record<string, string> {
  const h: Record<string, string> = {}
  if (s.requests) {
    h['x-ratelimit-limit-requests'] = String(s.requests.limit)
    h['x-ratelimit-remaining-requests'] = String(s.requests.remaining)
    h['x-ratelimit-reset-requests'] = resetText(s.requests.resetMs)
  }
  if (s.tokens) {
    h['x-ratelimit-limit-tokens'] = String(s.tokens.limit)
    h['x-ratelimit-remaining-tokens'] = String(s.tokens.remaining)
    h['x-ratelimit-reset-tokens'] = resetText(s.tokens.resetMs)
  }
  if (s.budget) h['x-tracegate-budget-remaining-usd'] = s.budget.remainingUsd.toFixed(6)
  return h
}

/** The one 429 a refused request gets: which limit, how full, when it frees up. */
export function refusalError(r: Refusal, now: number): GatewayError {
  if (r.kind === 'budget') {
    const resets = Number.isFinite(r.resetsAt) ? new Date(r.resetsAt).toISOString() : 'never'
    const headers: Record<string, string> = {
      'x-tracegate-budget-remaining-usd': Math.max(0, r.limitUsd - r.spentUsd).toFixed(6),
    }
    if (Number.isFinite(r.resetsAt)) headers['retry-after'] = String(Math.max(1, Math.ceil((r.resetsAt - now) / 1000)))
    return new GatewayError(
      'budget_exceeded',
      `budget exceeded for ${r.scope.label}: spent ${dollars(r.spentUsd)} of ${dollars(r.limitUsd)} (${r.scope.limits.budget_period}); resets at ${resets}`,
      null,
      headers,
    )
  }
  const per = r.what === 'parallel' ? 'requests at once' : `${r.what} per minute`
  const retry = Math.max(1, Math.ceil(r.retryAfterMs / 1000))
  const headers: Record<string, string> = { 'retry-after': String(retry) }
  if (r.what !== 'parallel') {
    headers[`x-ratelimit-limit-${r.what}`] = String(r.limit)
    headers[`x-ratelimit-remaining-${r.what}`] = '0'
    headers[`x-ratelimit-reset-${r.what}`] = resetText(r.retryAfterMs)
  }
  return new GatewayError(
    'rate_limit_exceeded',
    `rate limit exceeded for ${r.scope.label}: ${r.limit} ${per}; retry after ${retry}s`,
    null,
    headers,
  )
}
