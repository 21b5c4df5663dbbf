import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { ADMIT, SEED, SETTLE, USAGE } from './redis-scripts.ts'
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
import { tracksSpend } from './types.ts'
import { tightest } from './answers.ts'

/** An open request's lease: a replica that dies mid-request frees its parallel slots after this long. */
const LEASE_MS = 15 * 60_000
/** A budget's hash outlives its period by a day: requests that started in it still settle there. */
const GRACE_MS = 86_400_000
/** Never matches a key: what settle names for a scope without a budget. */
const NO_KEY = 'tracegate:none'
const NO_LIMIT_USD = 1e300

interface Scripted extends Redis {
  tgAdmit(...args: Array<string | number>): Promise<string[]>
  tgSettle(...args: Array<string | number>): Promise<number>
  tgSeed(...args: Array<string | number>): Promise<number>
  tgUsage(...args: Array<string | number>): Promise<string[]>
}

const budgetKey = (s: Scope) => `tracegate:budget:${s.id}:${s.period.start}`
/** A scope's keys in the order the scripts take them (redis-scripts.ts KEYS_PER_SCOPE). */
const scopeKeys = (s: Scope) => [
  budgetKey(s),
  `tracegate:rpm:${s.id}`,
  `tracegate:tpm:${s.id}`,
  `tracegate:tpmn:${s.id}`,
  `tracegate:par:${s.id}`,
]

/**
 * Budgets and limits in a Redis every replica shares (`limits.redis_url`): N gateways enforce
 * exactly the configured limits, not N times them. Each admission and each settlement is one Lua
 * script (redis-scripts.ts), atomic in Redis; commands fail fast instead of queueing while Redis
 * is away, so a request never waits on a dead store.
 */
export class RedisLimits implements LimitsStore {
  private readonly redis: Scripted

  constructor(url: string) {
    const redis = new Redis(url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: 2_000,
      lazyConnect: false,
    })
    redis.defineCommand('tgAdmit', { lua: ADMIT })
    redis.defineCommand('tgSettle', { lua: SETTLE })
    redis.defineCommand('tgSeed', { numberOfKeys: 1, lua: SEED })
    redis.defineCommand('tgUsage', { lua: USAGE })
    // Errors reach the caller of each command; the client's own event would otherwise be unhandled.
    redis.on('error', () => undefined)
    this.redis = redis as Scripted
  }

  async admit(input: AdmitInput): Promise<Admission> {
    const lease = randomBytes(9).toString('base64url')
    const keys = input.scopes.flatMap(scopeKeys)
    const args = input.scopes.flatMap((s) => scopeArgs(s))
    const reply = await this.redis.tgAdmit(
      keys.length,
      ...keys,
      lease,
      input.costUsd,
      input.tokens,
      input.scopes.length,
      LEASE_MS,
      ...args,
    )
    if (reply[0] !== 'ok') return { ok: false, refusal: refusalOf(reply, input) }
    return { ok: true, lease: this.lease(lease, input), standing: standingOf(reply, input.scopes) }
  }

  /** Only the first replica to start in a period counts the spans' spend: the others find it there. */
  async seedSpend(scopeId: string, period: { start: number; end: number }, spentUsd: number): Promise<void> {
    const expiry = Number.isFinite(period.end) ? String(period.end + GRACE_MS) : ''
    await this.redis.tgSeed(`tracegate:budget:${scopeId}:${period.start}`, spentUsd, expiry)
  }

  async usage(scopes: Scope[]): Promise<ScopeCounts[]> {
    if (!scopes.length) return []
    const keys = scopes.flatMap(scopeKeys)
    const n = (await this.redis.tgUsage(keys.length, ...keys)).map(Number)
    return scopes.map((_, i) => {
      const [spentUsd, heldUsd, requests, tokens, parallel] = n.slice(i * 5, i * 5 + 5) as [
        number,
        number,
        number,
        number,
        number,
      ]
      return { spentUsd, heldUsd, requests, tokens, parallel }
    })
  }

  close(): Promise<void> {
    return this.redis.quit().then(() => undefined)
  }

  private lease(id: string, input: AdmitInput): Lease {
    const keys = input.scopes.flatMap((s) => [
      tracksSpend(s.limits) ? budgetKey(s) : NO_KEY,
      `tracegate:tpmn:${s.id}`,
      `tracegate:par:${s.id}`,
    ])
    let done = false
    return {
      settle: (u: Usage) => {
        if (done) return
        done = true
        // A settlement Redis misses leaves the hold until the budget's period ends: it errs on refusing.
        this.redis.tgSettle(keys.length, ...keys, id, input.costUsd, u.costUsd, u.tokens).catch(() => undefined)
      },
    }
  }
}

function scopeArgs(s: Scope): string[] {
  const l = s.limits
  const budget = tracksSpend(l)
  // A soft budget alone counts spend and refuses nothing: a limit no spend reaches.
  return [
    budget ? String(l.budget_usd ?? NO_LIMIT_USD) : '',
    budget && Number.isFinite(s.period.end) ? String(s.period.end + GRACE_MS) : '',
    l.rpm !== undefined ? String(l.rpm) : '',
    l.tpm !== undefined ? String(l.tpm) : '',
    l.max_parallel !== undefined ? String(l.max_parallel) : '',
  ]
}

function refusalOf(reply: string[], input: AdmitInput): Refusal {
  const scope = input.scopes[Number(reply[1]) - 1]!
  const value = Number(reply[2])
  const l = scope.limits
  if (reply[0] === 'budget')
    return { kind: 'budget', scope, spentUsd: value, limitUsd: l.budget_usd!, resetsAt: scope.period.end }
  const what = reply[0] as 'requests' | 'tokens' | 'parallel'
  const limit = what === 'requests' ? l.rpm! : what === 'tokens' ? l.tpm! : l.max_parallel!
  return { kind: 'rate', scope, what, limit, retryAfterMs: Math.max(1, value) }
}

/** Every scope's windows as the script counted them after holding, for the tightest standing. */
function standingOf(reply: string[], scopes: Scope[]): Standing {
  const windows = scopes.map((_, i): ScopeWindows => {
    const [requests, oldestRequestAt, tokens, oldestTokensAt, spentUsd, heldUsd] = reply
      .slice(2 + i * 6, 8 + i * 6)
      .map(Number) as [number, number, number, number, number, number]
    return { requests, oldestRequestAt, tokens, oldestTokensAt, spentUsd, heldUsd }
  })
  return tightest(scopes, windows, Number(reply[1]))
}
