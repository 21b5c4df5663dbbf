import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { errorOf, useSpawnedGateway } from './harness.ts'
import { Receiver } from './alerts-helpers.ts'
import { startRedisServer } from './redis-server.ts'

/**
 * Two gateway processes sharing one real redis-server (Debian's package, started here on a loopback
 * port): limits hold across both, as one. With Redis gone, each enforces its share and says so.
 */
const TOKEN = 'limits-redis-token'
let redisPort = 0
let redis: ChildProcess | undefined

async function startRedis(): Promise<void> {
  const server = await startRedisServer()
  redisPort = server.port
  redis = server.child
}

/** Told by each replica when its limits store stops answering (alerts.system_notify). */
const receiver = new Receiver('redis-down-secret')
beforeAll(startRedis)
beforeAll(() => receiver.start())
afterAll(() => void redis?.kill('SIGKILL'))
afterAll(() => receiver.close())

const keys = {
  rpm: 'tg-shared-rpm-01',
  budget: 'tg-shared-budget',
  other: 'tg-shared-other1',
  tpm: 'tg-shared-tpm-01',
}
const env = useSpawnedGateway(
  (mock) => ({
    providers: { openai: { base_url: `${mock.url}/v1` } },
    keys: [
      { key: keys.rpm, name: 'shared-rpm', rpm: 6 },
      { key: keys.budget, name: 'shared-budget', budget_usd: 0.003, budget_period: 'day' },
      { key: keys.other, name: 'other', rpm: 4 },
      { key: keys.tpm, name: 'shared-tpm', tpm: 500 },
    ],
    limits: { redis_url: `redis://127.0.0.1:${redisPort}`, replicas: 2 },
    alerts: {
      webhooks: [{ name: 'ops', url: receiver.url, secret: 'redis-down-secret' }],
      system_notify: ['ops'],
    },
  }),
  { adminToken: TOKEN, start: false },
)
const urls: string[] = []

beforeAll(async () => {
  const a = env.spawn()
  const b = env.spawn([], { TRACEGATE_DATA_DIR: join(env.dir, 'data-b') })
  urls.push(await a.ready(), await b.ready())
}, 60_000)

const chat = (url: string, key: string, maxTokens = 6) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], max_tokens: maxTokens }),
  })

/** What one gateway recorded for a key: its requests that were answered 200 and their cost. */
async function recorded(url: string, key: string): Promise<{ requests: number; cost: number }> {
  // Every span written first, then one read: a read taken while spans still wait would count short.
  for (let i = 0; i < 100 && !(await ready(url)); i++) await new Promise((r) => setTimeout(r, 100))
  const now = Date.now()
  const res = await fetch(`${url}/api/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({
      from: new Date(now - 3_600_000).toISOString(),
      to: new Date(now + 60_000).toISOString(),
      metrics: ['requests', 'cost_usd'],
      filters: [
        { dimension: 'key', op: 'eq', value: key },
        { dimension: 'status', op: 'eq', value: 'ok' },
      ],
    }),
  })
  const row = ((await res.json()) as { rows: Array<{ requests: number; cost_usd: number }> }).rows[0]
  return { requests: Number(row?.requests ?? 0), cost: Number(row?.cost_usd ?? 0) }
}
const ready = async (url: string) =>
  ((await (await fetch(`${url}/readyz`)).json()) as { spans: { pending: number } }).spans.pending === 0

describe('limits shared through Redis by two gateways', () => {
  it('rpm 6 across both replicas: exactly 6 admitted, the rest refused with the rate-limit error', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 10; i++) statuses.push((await chat(urls[i % 2]!, keys.rpm)).status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(6)
    expect(statuses.slice(6)).toEqual([429, 429, 429, 429])
    const refused = await chat(urls[1]!, keys.rpm)
    expect((await errorOf(refused)).code).toBe('rate_limit_exceeded')
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0')
    // Counted in Redis, not in each replica's memory (whose share, 3 each, would admit 6 too).
    const client = new Redis(redisPort, '127.0.0.1')
    try {
      expect(await client.zcard('tracegate:rpm:key:shared-rpm')).toBe(6)
    } finally {
      client.disconnect()
    }
    // Both replicas read the same counts from Redis.
    for (const url of urls) {
      const usage = (await (
        await fetch(`${url}/api/limits/usage`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).json()) as { scopes: Array<{ name: string; rpm_used: number }> }
      expect(usage.scopes.find((s) => s.name === 'shared-rpm')!.rpm_used).toBe(6)
    }
    for (const url of urls) {
      const readyz = (await (await fetch(`${url}/readyz`)).json()) as { reasons: Array<{ code: string }> }
      expect(readyz.reasons.map((r) => r.code)).not.toContain('limits_store_unreachable')
      expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^tracegate_limits_store_up 1$/m)
    }
  })

  it('a budget is never overshot by both replicas together: 200 requests, 40 at a time, split between them', async () => {
    const results: number[] = []
    for (let round = 0; round < 5; round++)
      results.push(
        ...(await Promise.all(
          Array.from({ length: 40 }, (_, i) => chat(urls[i % 2]!, keys.budget).then((r) => r.status)),
        )),
      )
    expect(new Set(results)).toEqual(new Set([200, 429]))
    const [a, b] = await Promise.all(urls.map((u) => recorded(u, 'shared-budget')))
    expect(a!.requests + b!.requests).toBe(results.filter((s) => s === 200).length)
    expect(a!.requests).toBeGreaterThan(0)
    expect(b!.requests).toBeGreaterThan(0)
    expect(a!.cost + b!.cost).toBeGreaterThan(0.0028)
    expect(a!.cost + b!.cost).toBeLessThanOrEqual(0.003)
    const client = new Redis(redisPort, '127.0.0.1')
    try {
      const [budgetKey] = await client.keys('tracegate:budget:key:shared-budget:*')
      // Settlements are sent as spans are built; the last may still be on its way to Redis.
      const held = async () => Number(await client.hget(budgetKey!, 'held'))
      for (let i = 0; i < 50 && Math.abs(await held()) > 1e-9; i++) await new Promise((r) => setTimeout(r, 100))
      expect(await held()).toBeCloseTo(0, 9)
      expect(Number(await client.hget(budgetKey!, 'spent'))).toBeCloseTo(a!.cost + b!.cost, 9)
    } finally {
      client.disconnect()
    }
  })

  it('tpm 500 across both: two requests of ~330 worst-case tokens at once, one fits; settled, there is room again', async () => {
    // The upstream holds its answer for a second: the first request still holds its worst case when
    // the second is admitted, however loaded the machine (answered, it settles to its few real tokens).
    const undo = env.mock.fault({ model: 'gpt-4o', delayHeadersMs: 1000 })
    const both = await Promise.all([chat(urls[0]!, keys.tpm, 300), chat(urls[1]!, keys.tpm, 300)])
    undo()
    expect(both.map((r) => r.status).sort()).toEqual([200, 429])
    let status = 0
    for (let i = 0; i < 50 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100))
      status = (await chat(urls[i % 2]!, keys.tpm, 300)).status
    }
    expect(status).toBe(200)
    const client = new Redis(redisPort, '127.0.0.1')
    try {
      const counts = await client.hgetall('tracegate:tpmn:key:shared-tpm')
      const entries = Object.entries(counts).filter(([k]) => k !== '__sum')
      expect(Number(counts.__sum)).toBe(entries.reduce((n, [, v]) => n + Number(v), 0))
      expect(Number(counts.__sum)).toBeLessThan(500)
    } finally {
      client.disconnect()
    }
  })

  it('with Redis gone, each replica enforces its share locally, answers at once, and readiness says degraded', async () => {
    redis!.kill('SIGKILL')
    await new Promise((r) => setTimeout(r, 200))
    const started = performance.now()
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await chat(urls[0]!, keys.other)).status)
    // rpm 4 over 2 replicas: this one admits 2 a minute on its own.
    expect(statuses).toEqual([200, 200, 429, 429])
    expect(performance.now() - started).toBeLessThan(5_000)
    const readyz = (await (await fetch(`${urls[0]}/readyz`)).json()) as {
      status: string
      reasons: Array<{ code: string }>
    }
    expect(readyz.status).toBe('degraded')
    expect(readyz.reasons.map((r) => r.code)).toContain('limits_store_unreachable')
    const metrics = await (await fetch(`${urls[0]}/metrics`)).text()
    expect(metrics).toMatch(/^tracegate_limits_store_up 0$/m)
    // And the replica that lost it said so to the system_notify webhook, signed.
    for (let i = 0; i < 50 && !receiver.got.length; i++) await new Promise((r) => setTimeout(r, 100))
    expect(receiver.got.map((g) => [g.json.metric, g.json.state, g.json.value, g.verified])).toEqual([
      ['limits_store_up', 'firing', 0, true],
    ])
  })
})
