import { PerformanceObserver, constants } from 'node:perf_hooks'
import { getHeapSpaceStatistics } from 'node:v8'
import { describe, expect, it } from 'vitest'
import { calcPrice } from '@pydantic/genai-prices'
import { priceAttempt } from './attempt-cost.ts'
import { Pricer } from './pricing.ts'
import { emptyFacts, type ResponseFacts } from '../wires/facts.ts'
import type { AttemptObservation, RequestObservation } from './observation.ts'

// Only the fields pricing reads.
const request = (operation: string) => ({ wire: { operation } }) as unknown as RequestObservation
const attempt = (httpStatus = 200) =>
  ({
    adapter: { name: 'openai', pricingId: 'openai' },
    model: 'gpt-4o',
    httpStatus,
    errorType: '',
    response: null,
  }) as unknown as AttemptObservation
const facts = (usage: ResponseFacts['usage']): ResponseFacts => ({ ...emptyFacts(), usage, responseModel: 'gpt-4o' })

const oldSpaceUsed = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!.space_used_size

/** Old-generation bytes per call of `f` over a round with no full collection (which would hide the growth). */
async function oldBytesPerCall(f: (i: number) => unknown, calls: number): Promise<number> {
  const majors: number[] = []
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)
        majors.push(e.startTime)
  })
  gc.observe({ entryTypes: ['gc'] })
  try {
    for (let round = 0; round < 20; round++) {
      const from = performance.now()
      const before = oldSpaceUsed()
      for (let i = 0; i < calls; i++) f(i)
      const grown = oldSpaceUsed() - before
      await new Promise((r) => setTimeout(r, 20)) // gc entries are delivered asynchronously
      if (!majors.some((t) => t >= from)) return grown / calls
    }
    throw new Error('every round had a full collection')
  } finally {
    gc.disconnect()
  }
}

describe('priceAttempt', () => {
  it('prices the usage at the model the provider answered with, as calcPrice does', () => {
    const usage = { input_tokens: 1200, output_tokens: 300 }
    const cost = priceAttempt(request('chat'), attempt(), facts(usage), new Pricer({}))
    const exact = calcPrice(usage, 'gpt-4o', { providerId: 'openai' })!.total_price
    expect(cost.source).toBe('genai-prices')
    expect(cost.usd).toBeCloseTo(exact, 12)
    expect(cost.webFetchUsd).toBe(0)
  })

  it('counting tokens is free when answered, unknown when not', () => {
    expect(priceAttempt(request('count_tokens'), attempt(), emptyFacts(), new Pricer({}))).toMatchObject({
      usd: 0,
      source: 'free',
    })
    expect(priceAttempt(request('count_tokens'), attempt(500), emptyFacts(), new Pricer({})).usd).toBeNull()
  })

  it('usage the response carried but could not be read is flagged, not priced as zero', () => {
    const f = { ...emptyFacts(), usageUnreadable: true }
    expect(priceAttempt(request('chat'), attempt(), f, new Pricer({}))).toMatchObject({
      usd: null,
      source: 'usage_unreadable',
    })
  })

  // Spreading a cost with an undefined field into a new literal made V8 build a new hidden class
  // in the old generation on every call: ~130 bytes a span, freed only by a full collection.
  it('leaves nothing in the old generation per call', async () => {
    const pricer = new Pricer({})
    const r = request('chat')
    const a = attempt()
    const perCall = await oldBytesPerCall(
      (i) => priceAttempt(r, a, facts({ input_tokens: 20 + (i & 7), output_tokens: 10 }), pricer),
      50_000,
    )
    expect(perCall).toBeLessThan(16)
  })
})
