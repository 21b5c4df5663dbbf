import { describe, expect, it } from 'vitest'
import { RoutingPolicySchema } from '@tracegate/schemas'
import { Cooldowns } from './cooldown.ts'

const policy = RoutingPolicySchema.parse({ cooldown: { failures: 3, window_ms: 1000, duration_ms: 500 } })

describe('Cooldowns', () => {
  it('keep at most 10,000 targets, however many model names clients invent', () => {
    const c = new Cooldowns()
    for (let i = 0; i < 25_000; i++) c.failure(`openai/made-up-${i}`, policy, 1_000 + i)
    expect((c as unknown as { health: Map<string, unknown> }).health.size).toBeLessThanOrEqual(10_000)
  })

  it('a target cooling down stays remembered when the map is full of stale ones', () => {
    const c = new Cooldowns()
    for (let i = 0; i < 3; i++) c.failure('openai/real', policy, 10)
    for (let i = 0; i < 20_000; i++) c.failure(`openai/x-${i}`, policy, 100)
    expect(c.admit('openai/real', 200)).toBe('cooling')
  })
})
