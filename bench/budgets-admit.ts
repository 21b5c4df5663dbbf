/**
 * The limits check alone, in this process: `Enforcer.admit` timed with performance.now() around
 * each call, against the memory store and against RedisLimits on a loopback redis-server. The
 * enforcer, pricer and route plan are the gateway's own, built from a config as app.ts builds them.
 */
import { parseConfig } from '../gateway/src/config/load.ts'
import { Enforcer } from '../gateway/src/limits/enforcer.ts'
import { KeyDirectory } from '../gateway/src/keys/directory.ts'
import { createLogger } from '../gateway/src/log.ts'
import { MemoryLimits } from '../gateway/src/limits/memory-store.ts'
import { RedisLimits } from '../gateway/src/limits/redis-store.ts'
import type { LimitsStore } from '../gateway/src/limits/types.ts'
import { ProviderRegistry } from '../gateway/src/providers/registry.ts'
import { ModelRouter } from '../gateway/src/routing/resolve.ts'
import { Pricer } from '../gateway/src/spans/pricing.ts'
import type { KeyIdentity } from '../gateway/src/keys/authenticate.ts'
import { percentile } from './percentile.ts'

/** Every kind of limit on the key, and a team budget: the most a request is checked against. */
// Calendar periods, as budgets default to (month): their bounds are part of every check.
const LIMITS = { budget_usd: 1e6, budget_period: 'month', rpm: 1e9, tpm: 1e9, max_parallel: 1000 }
const BODY = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello.' }], max_tokens: 256 })

export interface AdmitTiming {
  /** Microseconds per admission. */
  p50: number
  p99: number
  calls: number
}

/** Key names are new on every call: each timing starts from empty windows, even on a store used before. */
let generation = 0

function enforcer(store: LimitsStore, names: string[], limits: object): (key: string) => ReturnType<Enforcer['admit']> {
  const config = parseConfig(
    {
      providers: { openai: { base_url: 'http://127.0.0.1:9/v1' } },
      keys: names.map((name) => ({ key: `tg-${name}-key`, name, team: 't', ...limits })),
      teams: [{ name: 't', budget_usd: 1e6, budget_period: 'day' }],
    },
    {},
  )
  const plan = new ModelRouter(config, new ProviderRegistry(config)).resolve('gpt-4o', config.default_provider)
  const request = { model: 'gpt-4o', stream: false, clientAskedUsage: false, json: JSON.parse(BODY) }
  // No storage: the directory holds the config's keys alone, which is all this bench needs.
  const e = new Enforcer(
    config,
    new KeyDirectory(config, null, createLogger('silent')),
    store,
    new Pricer(config.prices),
  )
  const identity = (key: string): KeyIdentity => ({
    keyName: key,
    team: 't',
    user: '',
    forwardKey: undefined,
    gateway: true,
  })
  return (key) => e.admit(identity(key), plan, request, BODY.length)
}

/** One admission, settled at once below what was held (as a real request is); microseconds to admit. */
async function admitOnce(ask: (key: string) => ReturnType<Enforcer['admit']>, name: string): Promise<number> {
  const t = performance.now()
  const admitted = ask(name)
  const granted = admitted instanceof Promise ? await admitted : admitted
  const us = (performance.now() - t) * 1000
  granted!.lease.settle({ costUsd: granted!.reservedUsd / 2, tokens: 40 })
  return us
}

/**
 * `perKey` timed admissions on each of `keys` fresh keys, after `prefill` untimed ones. A fresh key
 * per batch keeps the sliding windows at what the batch put there: the tpm check sums a key's
 * whole window, so its cost grows with the key's requests in the last minute (`prefill` shows how;
 * `withoutTpm` drops that one limit, to tell its share).
 */
export async function timeAdmit(
  store: LimitsStore,
  {
    keys,
    perKey,
    prefill = 0,
    withoutTpm = false,
  }: { keys: number; perKey: number; prefill?: number; withoutTpm?: boolean },
): Promise<AdmitTiming> {
  const names = Array.from({ length: keys }, (_, i) => `admit-${generation}-${i}`)
  generation++
  const ask = enforcer(store, names, withoutTpm ? { ...LIMITS, tpm: undefined } : LIMITS)
  const samples: number[] = []
  for (const name of names) {
    for (let i = 0; i < prefill; i++) await admitOnce(ask, name)
    for (let i = 0; i < perKey; i++) samples.push(await admitOnce(ask, name))
  }
  samples.sort((a, b) => a - b)
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), calls: samples.length }
}

export const memoryStore = (): LimitsStore => new MemoryLimits()
export const redisStore = (url: string): RedisLimits => new RedisLimits(url)

/**
 * The first figures of a cold JIT and a fresh connection are not what a running gateway pays. A
 * new RedisLimits refuses commands until it has connected (no offline queue): wait for that first.
 */
export async function warmUp(store: LimitsStore): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await timeAdmit(store, { keys: 1, perKey: 1 })
      break
    } catch (err) {
      if (i === 100) throw err
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  await timeAdmit(store, { keys: 1, perKey: 2000 })
}
