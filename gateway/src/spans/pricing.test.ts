import { describe, expect, it } from 'vitest'
import { calcPrice } from '@pydantic/genai-prices'
import { Pricer } from './pricing.ts'

const tokens = (inputTokens: number, outputTokens: number, cacheReadTokens: number | null = null, cacheWriteTokens: number | null = null) =>
  ({ inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens })

describe('Pricer', () => {
  it('matches calcPrice on first and repeated calls, cache tokens included', () => {
    const p = new Pricer({})
    for (const [provider, model] of [['openai', 'gpt-4o'], ['anthropic', 'claude-sonnet-4-6'], ['google', 'gemini-2.5-flash'], ['openai', 'gpt-4.1-mini']] as const) {
      for (let i = 0; i < 3; i++) {
        const t = tokens(1000 + i * 977, 300 + i * 41, 200 * i, provider === 'anthropic' ? 50 * i : 0)
        const want = calcPrice({ input_tokens: t.inputTokens, output_tokens: t.outputTokens, cache_read_tokens: t.cacheReadTokens ?? 0, cache_write_tokens: t.cacheWriteTokens ?? 0 }, model, { providerId: provider })!.total_price
        const got = p.price(provider, provider, model, t)
        expect(got.source).toBe('genai-prices')
        expect(got.usd).toBeCloseTo(want, 12)
      }
    }
  })

  it('long-context tiers are not flattened: a 300k-token prompt costs what calcPrice says', () => {
    const p = new Pricer({})
    p.price('anthropic', 'anthropic', 'claude-sonnet-4-5', tokens(1000, 100))
    const big = tokens(300_000, 1000)
    const want = calcPrice({ input_tokens: 300_000, output_tokens: 1000 }, 'claude-sonnet-4-5', { providerId: 'anthropic' })!.total_price
    expect(p.price('anthropic', 'anthropic', 'claude-sonnet-4-5', big).usd).toBeCloseTo(want, 12)
  })

  it('unknown models are unpriced and no usage is no_usage, never $0', () => {
    const p = new Pricer({})
    expect(p.price('openai', 'openai', 'no-such-model-xyz', tokens(10, 10))).toEqual({ usd: null, source: 'unpriced' })
    expect(p.price('ollama', undefined, 'llama3', tokens(10, 10))).toEqual({ usd: null, source: 'unpriced' })
    expect(p.price('openai', 'openai', 'gpt-4o', { inputTokens: null, outputTokens: null, cacheReadTokens: null, cacheWriteTokens: null })).toEqual({ usd: null, source: 'no_usage' })
  })
})
