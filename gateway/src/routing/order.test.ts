import { describe, expect, it } from 'vitest'
import { attemptOrder } from './order.ts'
import type { RouteNode, Target } from './resolve.ts'

const t = (model: string, weight = 1): Target => ({
  adapter: { name: 'p' } as Target['adapter'],
  model,
  weight,
  key: `p/${model}`,
})
const models = (ts: Target[]) => ts.map((x) => x.model)

describe('attemptOrder', () => {
  it('fallback keeps the configured order', () => {
    expect(models(attemptOrder('fallback', [t('a'), t('b'), t('c')]))).toEqual(['a', 'b', 'c'])
  })

  it('a fallback whose first member is a load-balanced pool tries the pool first, then the rest', () => {
    const tree: RouteNode[] = [{ strategy: 'loadbalance', weight: 1, children: [t('x', 1), t('y', 1)] }, t('z')]
    const first = new Map<string, number>()
    for (let i = 0; i < 2000; i++) {
      const order = models(attemptOrder('fallback', tree))
      expect(order.slice(2)).toEqual(['z'])
      expect([...order.slice(0, 2)].sort()).toEqual(['x', 'y'])
      first.set(order[0]!, (first.get(order[0]!) ?? 0) + 1)
    }
    expect(first.get('x')! / 2000).toBeGreaterThan(0.45)
    expect(first.get('x')! / 2000).toBeLessThan(0.55)
  })

  it('weighted draws follow the weights for the first pick', () => {
    let a = 0
    const rand = (() => {
      let s = 7
      return () => (s = (s * 16807) % 2147483647) / 2147483647
    })()
    for (let i = 0; i < 4000; i++) if (attemptOrder('loadbalance', [t('a', 3), t('b', 1)], rand)[0]!.model === 'a') a++
    expect(a / 4000).toBeGreaterThan(0.72)
    expect(a / 4000).toBeLessThan(0.78)
  })
})
