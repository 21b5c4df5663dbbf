import type { Limits } from '@tracegate/schemas'

/** Rate limits count over a sliding minute. */
export const WINDOW_MS = 60_000

/** One thing a request is counted against: its key, its team or its user, with that one's limits. */
export interface Scope {
  /** `key:<name>`, `team:<name>`, `user:<name>`: unique across kinds. */
  id: string
  /** What the refusal names: "key ci-bot", "team growth". */
  label: string
  limits: Limits
  /** Budget period bounds for `now`, computed by the caller (it knows the time zone). */
  period: { start: number; end: number }
}

export interface AdmitInput {
  scopes: Scope[]
  /** The most the request can cost (USD): held against every budget until it settles. */
  costUsd: number
  /** The most tokens it can use: held against every tpm until it settles. */
  tokens: number
  now: number
}

/** How full a scope's windows are after this request, for the x-ratelimit-* and budget headers. */
export interface Standing {
  requests?: { limit: number; remaining: number; resetMs: number }
  tokens?: { limit: number; remaining: number; resetMs: number }
  budget?: { limitUsd: number; remainingUsd: number }
}

export type Refusal =
  | { kind: 'budget'; scope: Scope; spentUsd: number; limitUsd: number; resetsAt: number }
  | { kind: 'rate'; scope: Scope; what: 'requests' | 'tokens' | 'parallel'; limit: number; retryAfterMs: number }

/** A scope's windows and budget right after a request was held in it: what its standing is read from. */
export interface ScopeWindows {
  requests: number
  oldestRequestAt: number
  tokens: number
  oldestTokensAt: number
  spentUsd: number
  heldUsd: number
}

/** What a settled request cost, from its recorded spans. */
export interface Usage {
  costUsd: number
  tokens: number
}

export interface Lease {
  /** Charge what the request cost and free what it held; a second call does nothing. */
  settle(usage: Usage): void
}

/** How much of each limit a scope uses now. */
export interface ScopeCounts {
  spentUsd: number
  heldUsd: number
  requests: number
  tokens: number
  parallel: number
}

export type Admission = { ok: true; lease: Lease; standing: Standing } | { ok: false; refusal: Refusal }

/**
 * Where budgets and rate limits are kept: this process's memory, or (later) Redis shared by every
 * replica. Checking every scope and holding the request in all of them is one atomic step.
 */
export interface LimitsStore {
  admit(input: AdmitInput): Admission | Promise<Admission>
  /** Spend a restarted gateway finds in its spans: counted once per scope and period. */
  seedSpend(scopeId: string, period: { start: number; end: number }, spentUsd: number): void | Promise<void>
  close?(): Promise<void>
  /** What each scope uses now, for the explorer's Keys & budgets page. */
  usage(scopes: Scope[], now: number): ScopeCounts[] | Promise<ScopeCounts[]>
}

/** A scope whose spend is counted: it has a budget, or only a soft one (which refuses nothing). */
export const tracksSpend = (l: Limits) => l.budget_usd !== undefined || l.soft_budget_usd !== undefined
