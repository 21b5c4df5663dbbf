import type { Logger } from 'pino'
import type { Limits } from '@tracegate/schemas'
import { GatewayError } from '../errors.ts'
import { MemoryLimits } from './memory-store.ts'
import type { AdmitInput, Admission, LimitsStore, Scope, ScopeCounts } from './types.ts'

export type OnStoreError = 'local' | 'allow' | 'refuse'

/** A replica's share of a limit while it cannot see the others': the limit over the replica count. */
function share(l: Limits, replicas: number): Limits {
  const part = (n: number | undefined) => (n === undefined ? undefined : Math.max(1, Math.floor(n / replicas)))
  return {
    ...l,
    budget_usd: l.budget_usd === undefined ? undefined : l.budget_usd / replicas,
    soft_budget_usd: l.soft_budget_usd === undefined ? undefined : l.soft_budget_usd / replicas,
    rpm: part(l.rpm),
    tpm: part(l.tpm),
    max_parallel: part(l.max_parallel),
  }
}

/**
 * The shared store, and what to do when it cannot answer (`limits.on_store_error`): enforce this
 * replica's share of every limit in memory, admit, or refuse with 503. A failed admission never
 * waits or crashes; the first failure and the recovery are logged, and readiness says degraded.
 */
export class FailoverLimits implements LimitsStore {
  private readonly local = new MemoryLimits()
  /** When the shared store last failed; null while it answers. */
  failingSince: number | null = null
  /** Told when the shared store stops answering (false) and answers again (true). */
  onChange: (up: boolean, since: number) => void = () => undefined

  constructor(
    private readonly shared: LimitsStore,
    private readonly mode: OnStoreError,
    private readonly replicas: number,
    private readonly log: Logger,
  ) {}

  async admit(input: AdmitInput): Promise<Admission> {
    try {
      const admission = await this.shared.admit(input)
      if (this.failingSince !== null) {
        this.log.warn('the limits store answers again: limits are shared across replicas again')
        this.onChange(true, this.failingSince)
        this.failingSince = null
      }
      return admission
    } catch (err) {
      if (this.failingSince === null) {
        this.failingSince = Date.now()
        this.log.error({ err, on_store_error: this.mode }, 'the limits store does not answer')
        this.onChange(false, this.failingSince)
      }
      return this.fallback(input)
    }
  }

  seedSpend(scopeId: string, period: { start: number; end: number }, spentUsd: number): void | Promise<void> {
    return this.shared.seedSpend(scopeId, period, spentUsd)
  }

  async usage(scopes: Scope[], now: number): Promise<ScopeCounts[]> {
    try {
      return await this.shared.usage(scopes, now)
    } catch {
      return this.local.usage(scopes, now)
    }
  }

  close(): Promise<void> {
    return this.shared.close?.() ?? Promise.resolve()
  }

  private fallback(input: AdmitInput): Admission {
    if (this.mode === 'allow') return { ok: true, lease: { settle: () => undefined }, standing: {} }
    if (this.mode === 'refuse')
      throw new GatewayError('limits_unavailable', 'the limits store does not answer; try again shortly')
    const scopes = input.scopes.map((s): Scope => ({ ...s, limits: share(s.limits, this.replicas) }))
    return this.local.admit({ ...input, scopes })
  }
}
