import { describe, expect, it, vi } from 'vitest'
import { calcPrice } from '@pydantic/genai-prices'
import { Pricer } from './pricing.ts'
import type { Usage } from '../wires/usage-keys.ts'

const exact = (u: Usage, model: string, providerId: string) =>
  calcPrice({ input_tokens: 0, output_tokens: 0, ...u } as Record<string, number>, model, { providerId })!.total_price

describe('Pricer', () => {
  it('matches calcPrice on first and repeated calls, for every kind of usage it learns linearly', () => {
    const p = new Pricer({})
    const cases: Array<[string, string, (i: number) => Usage]> = [
      [
        'openai',
        'gpt-4o',
        (i) => ({
          input_tokens: 1000 + i * 977,
          output_tokens: 300 + i * 41,
          cache_read_tokens: 200 * i,
          output_reasoning_tokens: 10 * i,
        }),
      ],
      [
        'anthropic',
        'claude-opus-4-5',
        (i) => ({
          input_tokens: 5000 + i,
          output_tokens: 70,
          cache_read_tokens: 100 * i,
          cache_write_tokens: 300,
          cache_write_5m_tokens: 100,
          cache_write_1h_tokens: 200,
          web_searches: i,
        }),
      ],
      [
        'google',
        'gemini-2.5-flash',
        (i) => ({ input_tokens: 9 + i, output_tokens: 393, output_reasoning_tokens: 185, input_tool_tokens: i }),
      ],
      ['x-ai', 'grok-4-fast', (i) => ({ input_tokens: 162 + i, output_tokens: 215, output_reasoning_tokens: 189 })],
    ]
    for (const [provider, model, usage] of cases) {
      for (let i = 0; i < 4; i++) {
        const got = p.price(provider, provider, model, usage(i))
        expect(got.source).toBe('genai-prices')
        expect(got.usd).toBeCloseTo(exact(usage(i), model, provider), 12)
      }
    }
  })

  it('long-context tiers are not flattened: a 300k-token prompt costs what calcPrice says', () => {
    const p = new Pricer({})
    p.price('anthropic', 'anthropic', 'claude-sonnet-4-5', { input_tokens: 1000, output_tokens: 100 })
    const big = { input_tokens: 300_000, output_tokens: 1000 }
    expect(p.price('anthropic', 'anthropic', 'claude-sonnet-4-5', big).usd).toBeCloseTo(
      exact(big, 'claude-sonnet-4-5', 'anthropic'),
      12,
    )
  })

  it('web searches are a cost component of their own', () => {
    const p = new Pricer({})
    for (let i = 0; i < 2; i++) {
      const cost = p.price('anthropic', 'anthropic', 'claude-opus-4-5', {
        input_tokens: 100,
        output_tokens: 10,
        web_searches: 3,
      })
      expect(cost.webSearchUsd).toBeCloseTo((3 * 10) / 1000, 12)
    }
  })

  it('unknown models are unpriced and no usage is no_usage, never $0', () => {
    const p = new Pricer({})
    expect(p.price('openai', 'openai', 'no-such-model-xyz', { input_tokens: 10, output_tokens: 10 })).toEqual({
      usd: null,
      source: 'unpriced',
    })
    expect(p.price('ollama', undefined, 'llama3', { input_tokens: 10, output_tokens: 10 })).toEqual({
      usd: null,
      source: 'unpriced',
    })
    expect(p.price('openai', 'openai', 'gpt-4o', null)).toEqual({ usd: null, source: 'no_usage' })
  })

  it('config overrides price per model, web fetches included', () => {
    const p = new Pricer({ 'local/m': { input_mtok: 2, output_mtok: 6, web_fetches_kcount: 5 } })
    expect(p.price('local', undefined, 'm', { input_tokens: 1000, output_tokens: 100 })).toEqual({
      usd: (1000 * 2 + 100 * 6) / 1e6,
      source: 'override',
    })
    expect(p.webFetchCost('local', 'm', 4)).toBeCloseTo(0.02, 12)
    expect(p.webFetchCost('anthropic', 'claude-opus-4-5', 4)).toBe(0)
  })
})

describe('Pricer and prices that change with the time of day', () => {
  it('DeepSeek peak and off-peak prices are never cached across the boundary', () => {
    const p = new Pricer({})
    const u = { input_tokens: 1_000_000, output_tokens: 1_000_000 }
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      const prices = new Set<number>()
      for (const hour of [2, 17, 2, 17]) {
        vi.setSystemTime(new Date(Date.UTC(2026, 10, 30, hour, 0, 0)))
        const got = p.price('deepseek', 'deepseek', 'deepseek-chat', u).usd!
        expect(got).toBeCloseTo(exact(u, 'deepseek-chat', 'deepseek'), 12)
        prices.add(got)
      }
      expect(prices.size).toBe(2)
    } finally {
      vi.useRealTimers()
    }
  })
})
