import type {
  AdmitInput,
  Admission,
  Lease,
  LimitsStore,
  Refusal,
  Scope,
  ScopeCounts,
  ScopeWindows,
  Standing,
  Usage,
} from './types.ts'
import { tracksSpend, WINDOW_MS } from './types.ts'
import { tightest } from './answers.ts'

interface Budget {
  periodStart: number
  spentUsd: number
  heldUsd: number
}
interface TokenEntry {
  at: number
  tokens: number
}

/** A minute of token entries with their running total: a check costs the same however busy the key is. */
class TokenWindow {
  readonly log: TokenEntry[] = []
  sum = 0

  trim(now: number): this {
    let drop = 0
    while (drop < this.log.length && this.log[drop]!.at <= now - WINDOW_MS) this.sum -= this.log[drop++]!.tokens
    if (drop) this.log.splice(0, drop)
    return this
  }

  push(entry: TokenEntry): void {
    this.log.push(entry)
    this.sum += entry.tokens
  }

  /** Correct an entry to what its request used; one already out of the window no longer counts. */
  settle(entry: TokenEntry, tokens: number, now: number): void {
    this.trim(now)
    if (entry.at > now - WINDOW_MS) this.sum += tokens - entry.tokens
    entry.tokens = tokens
  }
}

/**
 * Budgets and rate limits in this process's memory: the default, for one gateway. JavaScript runs
 * one admission at a time, so checking every scope and holding the request in all of them cannot
 * interleave with another request's. Windows are sliding: exactly `rpm` requests in any minute.
 */
export class MemoryLimits implements LimitsStore {
  private readonly budgets = new Map<string, Map<number, Budget>>()
  private readonly requests = new Map<string, number[]>()
  private readonly tokens = new Map<string, TokenWindow>()
  private readonly inflight = new Map<string, number>()

  admit(input: AdmitInput): Admission {
    for (const scope of input.scopes) {
      const refusal = this.check(scope, input)
      if (refusal) return { ok: false, refusal }
    }
    return { ok: true, lease: this.hold(input), standing: this.standing(input) }
  }

  seedSpend(scopeId: string, period: { start: number; end: number }, spentUsd: number): void {
    const b = this.budget(scopeId, period.start)
    b.spentUsd += spentUsd
  }

  usage(scopes: Scope[], now: number): ScopeCounts[] {
    return scopes.map((s) => {
      const b = this.budgets.get(s.id)?.get(s.period.start)
      return {
        spentUsd: b?.spentUsd ?? 0,
        heldUsd: b?.heldUsd ?? 0,
        requests: this.recent(this.requests, s.id, now).length,
        tokens: this.recentTokens(s.id, now).sum,
        parallel: this.inflight.get(s.id) ?? 0,
      }
    })
  }

  private check(scope: Scope, input: AdmitInput): Refusal | null {
    const { limits: l, id } = scope
    if (l.budget_usd !== undefined) {
      const b = this.budget(id, scope.period.start)
      if (b.spentUsd + b.heldUsd + input.costUsd > l.budget_usd)
        return { kind: 'budget', scope, spentUsd: b.spentUsd, limitUsd: l.budget_usd, resetsAt: scope.period.end }
    }
    if (l.rpm !== undefined) {
      const log = this.recent(this.requests, id, input.now)
      if (log.length + 1 > l.rpm)
        return rate(scope, 'requests', l.rpm, log[log.length - l.rpm]! + WINDOW_MS - input.now)
    }
    if (l.tpm !== undefined) {
      const window = this.recentTokens(id, input.now)
      if (window.sum + input.tokens > l.tpm)
        return rate(scope, 'tokens', l.tpm, tokensFreeIn(window.log, window.sum + input.tokens - l.tpm, input.now))
    }
    if (l.max_parallel !== undefined && (this.inflight.get(id) ?? 0) + 1 > l.max_parallel)
      return rate(scope, 'parallel', l.max_parallel, 1_000)
    return null
  }

  private hold(input: AdmitInput): Lease {
    const settlers: Array<(usage: Usage) => void> = []
    for (const scope of input.scopes) {
      const { limits: l, id } = scope
      if (tracksSpend(l)) {
        const b = this.budget(id, scope.period.start)
        b.heldUsd += input.costUsd
        settlers.push((u) => {
          b.heldUsd -= input.costUsd
          b.spentUsd += u.costUsd
        })
      }
      if (l.rpm !== undefined) this.recent(this.requests, id, input.now).push(input.now)
      if (l.tpm !== undefined) {
        const entry = { at: input.now, tokens: input.tokens }
        const window = this.recentTokens(id, input.now)
        window.push(entry)
        settlers.push((u) => window.settle(entry, u.tokens, Date.now()))
      }
      if (l.max_parallel !== undefined) {
        this.inflight.set(id, (this.inflight.get(id) ?? 0) + 1)
        settlers.push(() => void this.inflight.set(id, (this.inflight.get(id) ?? 1) - 1))
      }
    }
    let done = false
    return {
      settle: (usage) => {
        if (done) return
        done = true
        for (const s of settlers) s(usage)
      },
    }
  }

  /** After holding: every scope's windows (hold trimmed them at `now`), for the tightest standing. */
  private standing(input: AdmitInput): Standing {
    const windows = input.scopes.map(({ id, period }): ScopeWindows => {
      const requests = this.requests.get(id) ?? []
      const tokens = this.tokens.get(id)
      const b = this.budgets.get(id)?.get(period.start)
      return {
        requests: requests.length,
        oldestRequestAt: requests[0] ?? input.now,
        tokens: tokens?.sum ?? 0,
        oldestTokensAt: tokens?.log[0]?.at ?? input.now,
        spentUsd: b?.spentUsd ?? 0,
        heldUsd: b?.heldUsd ?? 0,
      }
    })
    return tightest(input.scopes, windows, input.now)
  }

  /**
   * The scope's budget for the period starting then: a new period starts from nothing, once. The
   * period before stays too, for requests that started in it and settle after it ended.
   */
  private budget(id: string, periodStart: number): Budget {
    let periods = this.budgets.get(id)
    if (!periods) this.budgets.set(id, (periods = new Map()))
    let b = periods.get(periodStart)
    if (!b) {
      b = { periodStart, spentUsd: 0, heldUsd: 0 }
      periods.set(periodStart, b)
      if (periods.size > 2) periods.delete(Math.min(...periods.keys()))
    }
    return b
  }

  private recent(map: Map<string, number[]>, id: string, now: number): number[] {
    let log = map.get(id)
    if (!log) map.set(id, (log = []))
    let drop = 0
    while (drop < log.length && log[drop]! <= now - WINDOW_MS) drop++
    if (drop) log.splice(0, drop)
    return log
  }

  private recentTokens(id: string, now: number): TokenWindow {
    let window = this.tokens.get(id)
    if (!window) this.tokens.set(id, (window = new TokenWindow()))
    return window.trim(now)
  }
}

const rate = (
  scope: Scope,
  what: 'requests' | 'tokens' | 'parallel',
  limit: number,
  retryAfterMs: number,
): Refusal => ({
  kind: 'rate',
  scope,
  what,
  limit,
  retryAfterMs: Math.max(1, retryAfterMs),
})

/** When enough of the window's tokens have aged out to make room for `excess` more. */
function tokensFreeIn(log: TokenEntry[], excess: number, now: number): number {
  let freed = 0
  for (const e of log) {
    freed += e.tokens
    if (freed >= excess) return e.at + WINDOW_MS - now
  }
  return WINDOW_MS
}
