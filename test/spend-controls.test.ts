import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import OpenAI from 'openai'
import { errorOf, serverSpan, useGateway } from './harness.ts'
import { Receiver } from './alerts-helpers.ts'

/**
 * Budgets, rate limits and key rules on config-declared keys, in one gateway's memory: every refusal
 * is the one error shape with its headers, recorded as a span without an upstream call, and a
 * budget is never overshot however many requests arrive at once.
 */
const TOKEN = 'spend-admin-token'
const keys = {
  tight: 'tg-tight-budget-1',
  budget: 'tg-budget-key-01',
  rpm: 'tg-rpm-key-00001',
  tpm: 'tg-tpm-key-00001',
  narrow: 'tg-narrow-key-01',
  old: 'tg-expired-key-1',
  team: 'tg-team-key-0001',
  parallel: 'tg-parallel-key1',
  stream: 'tg-stream-key-001',
  userTight: 'tg-user-tight-01',
  teamTight: 'tg-team-tight-01',
  raw: 'tg-raw-route-001',
  soft: 'tg-soft-budget-01',
}
/** A webhook receiver that checks the signature, told of soft budgets reached (alerts.system_notify). */
const receiver = new Receiver('soft-budget-secret')
beforeAll(() => receiver.start())
afterAll(() => receiver.close())

const env = useGateway(
  (mock) => ({
    providers: { openai: { base_url: `${mock.url}/v1` } },
    models: [{ name: 'cheap', targets: [{ provider: 'openai', model: 'gpt-4o-mini' }] }],
    keys: [
      { key: keys.tight, name: 'tight', budget_usd: 0.0001, budget_period: 'day' },
      { key: keys.budget, name: 'budgeted', budget_usd: 0.003, budget_period: 'day' },
      { key: keys.rpm, name: 'rpm', rpm: 3 },
      { key: keys.tpm, name: 'tpm', tpm: 500 },
      { key: keys.narrow, name: 'narrow', models: ['cheap', 'openai/gpt-4o-mini*'] },
      { key: keys.old, name: 'old', expires_at: '2020-01-01T00:00:00Z' },
      { key: keys.team, name: 'teamkey', team: 'growth' },
      { key: keys.parallel, name: 'par', max_parallel: 1 },
      { key: keys.stream, name: 'streamer', budget_usd: 1, budget_period: 'month' },
      { key: keys.userTight, name: 'alice-key', team: 'roomy', user: 'alice' },
      { key: keys.teamTight, name: 'bob-key', team: 'strict', user: 'bob' },
      { key: keys.raw, name: 'raw', budget_usd: 1, budget_period: 'month' },
      { key: keys.soft, name: 'soft', soft_budget_usd: 0.00001, budget_period: 'month' },
    ],
    limits: { soft_budget_check_s: 1 },
    alerts: {
      webhooks: [{ name: 'ops', url: receiver.url, secret: 'soft-budget-secret' }],
      system_notify: ['ops'],
    },
    teams: [
      { name: 'growth', budget_usd: 0.00005, budget_period: 'month' },
      { name: 'roomy', budget_usd: 10, budget_period: 'month' },
      { name: 'strict', budget_usd: 0.00005, budget_period: 'week' },
    ],
    users: [
      { name: 'alice', budget_usd: 0.00005, budget_period: 'day' },
      { name: 'bob', budget_usd: 10, budget_period: 'day' },
    ],
  }),
  { adminToken: TOKEN, faults: true },
)

const chat = (key: string, extra: object = {}, model = 'gpt-4o') =>
  env.post(
    '/v1/chat/completions',
    { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 100, ...extra },
    { authorization: `Bearer ${key}` },
  )

const skew = (ms: number) =>
  fetch(`${env.url}/debug/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ clock_skew_ms: ms }),
  })

describe('budgets', () => {
  it('a request that could take a key over its budget is refused with 429 budget_exceeded, before any upstream call', async () => {
    const calls = env.mock.calls.length
    const res = await chat(keys.tight, { max_tokens: 1000 })
    expect(res.status).toBe(429)
    const error = await errorOf(res)
    expect([error.type, error.code]).toEqual(['budget_exceeded', 'budget_exceeded'])
    expect(error.message).toMatch(
      /^budget exceeded for key tight: spent \$0\.000000 of \$0\.000100 \(day\); resets at 20\d\d-/,
    )
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(86_400)
    expect(res.headers.get('x-tracegate-budget-remaining-usd')).toBe('0.000100')
    expect(env.mock.calls.length).toBe(calls)
    const span = serverSpan(await env.trace(res, 1))
    expect([span.http_status, span.error_type, span.attempt, span.key_name]).toEqual([
      429,
      'budget_exceeded',
      0,
      'tight',
    ])
  })

  it('300 requests, 50 at a time, never take a budget over: settled spend stays within it, every refusal is the budget error', async () => {
    const client = new OpenAI({ apiKey: keys.budget, baseURL: `${env.url}/v1`, maxRetries: 0 })
    const ask = () =>
      client.chat.completions
        .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], max_tokens: 6 })
        .then(
          () => 'ok',
          (err: { status?: number; code?: string }) => `${err.status} ${err.code}`,
        )
    const results: string[] = []
    for (let round = 0; round < 6; round++) {
      results.push(...(await Promise.all(Array.from({ length: 50 }, ask))))
      await env.gw.flushSpans()
    }
    expect(new Set(results.filter((r) => r !== 'ok'))).toEqual(new Set(['429 budget_exceeded']))
    const admitted = results.filter((r) => r === 'ok').length
    expect(admitted).toBeGreaterThan(3)
    const rs = await env.gw.store.client.query({
      query: `SELECT sum(CostUsd) AS spent, count() AS n FROM ${env.gw.store.database}.spans
        WHERE SpanKind = 'Server' AND KeyName = 'budgeted' AND HttpStatus = 200`,
      format: 'JSONEachRow',
    })
    const [row] = await rs.json<{ spent: number; n: string }>()
    expect(Number(row!.n)).toBe(admitted)
    // The mock answers 6 tokens: each request costs nearly what was held for it, so the budget fills up.
    expect(row!.spent).toBeGreaterThan(0.0028)
    expect(row!.spent).toBeLessThanOrEqual(0.003)
  })

  it('the spent budget refuses until its period ends; the next day starts from nothing and says what is left', async () => {
    expect((await chat(keys.budget, { max_tokens: 6 })).status).toBe(429)
    // Tomorrow (the clock spans and budgets read, moved a day on), the day budget is whole again.
    expect((await skew(86_400_000)).status).toBe(200)
    try {
      const next = await chat(keys.budget, { max_tokens: 1 })
      expect(next.status).toBe(200)
      const left = Number(next.headers.get('x-tracegate-budget-remaining-usd'))
      expect(left).toBeGreaterThan(0.0029)
      expect(left).toBeLessThan(0.003)
    } finally {
      await skew(0)
    }
  })

  it("a restart keeps the period's spend: the budget is rebuilt from the recorded spans", async () => {
    // Back on today's clock, where less than $0.0002 is left: a request that may cost $0.001 does not fit.
    expect((await chat(keys.budget)).status).toBe(429)
    await env.restart()
    const after = await chat(keys.budget)
    expect(after.status).toBe(429)
    expect((await errorOf(after)).message).toMatch(
      /^budget exceeded for key budgeted: spent \$0\.00(28|29)\d\d of \$0\.003000 \(day\)/,
    )
    expect(env.gw.logs.some((l) => l.includes('budgets rebuilt from the spend recorded this period'))).toBe(true)
  })

  it('a request is held against its key, its team and its user at once: the tightest refuses, by name', async () => {
    const alice = await chat(keys.userTight, { max_tokens: 1000 })
    expect(alice.status).toBe(429)
    expect((await errorOf(alice)).message).toMatch(/^budget exceeded for user alice: .* \(day\)/)
    const bob = await chat(keys.teamTight, { max_tokens: 1000 })
    expect(bob.status).toBe(429)
    expect((await errorOf(bob)).message).toMatch(/^budget exceeded for team strict: .* \(week\)/)
    const cheap = await chat(keys.userTight, { max_tokens: 1, messages: [{ role: 'user', content: 'x' }] })
    expect(cheap.status).toBe(429)
  })

  it('raw /p/ routes are held and settled like the others', async () => {
    const res = await env.post(
      '/p/openai/chat/completions',
      { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 },
      { authorization: `Bearer ${keys.raw}` },
    )
    expect(res.status).toBe(200)
    expect(Number(res.headers.get('x-tracegate-budget-remaining-usd'))).toBeLessThan(1)
    const span = serverSpan(await env.trace(res))
    await env.gw.flushSpans()
    const usage = (await (
      await fetch(`${env.url}/api/limits/usage`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { scopes: Array<{ kind: string; name: string; spent_usd: number; held_usd: number }> }
    const raw = usage.scopes.find((s) => s.name === 'raw')!
    expect(span.cost_usd).toBeGreaterThan(0)
    expect([raw.spent_usd, raw.held_usd]).toEqual([span.cost_usd, 0])
    expect(usage.scopes.filter((s) => s.kind === 'user').map((s) => s.name)).toEqual(['alice', 'bob'])
  })

  it("a team's budget holds for every key of the team, and the refusal names the team", async () => {
    const res = await chat(keys.team, { max_tokens: 1000 })
    expect(res.status).toBe(429)
    expect((await errorOf(res)).message).toContain('budget exceeded for team growth')
  })
})

describe('soft budgets', () => {
  it('a soft budget refuses nothing; reaching it is logged once and counted for alerting', async () => {
    for (let i = 0; i < 3; i++) expect((await chat(keys.soft)).status).toBe(200)
    await env.gw.flushSpans()
    const reached = () => env.gw.logs.filter((l) => l.includes('soft budget reached') && l.includes('"name":"soft"'))
    for (let i = 0; i < 50 && !reached().length; i++) await new Promise((r) => setTimeout(r, 100))
    const line = JSON.parse(reached()[0]!) as Record<string, unknown>
    expect([line.scope, line.soft_budget_usd, line.budget_usd]).toEqual(['key', 0.00001, null])
    expect(line.spent_usd as number).toBeGreaterThan(0.00001)
    const metrics = await (await fetch(`${env.url}/metrics`)).text()
    expect(metrics).toMatch(/^tracegate_soft_budgets_reached [1-9]\d*$/m)
    // Checked again every second, reported once a period.
    await new Promise((r) => setTimeout(r, 1_500))
    expect(reached()).toHaveLength(1)
    // The system_notify webhook heard it once, signed like a rule's notification.
    const heard = receiver.got.filter((g) => g.json.metric === 'soft_budget_usd')
    expect(heard).toHaveLength(1)
    expect(heard[0]!.verified).toBe(true)
    expect(heard[0]!.json).toMatchObject({
      type: 'tracegate.alert',
      rule: { name: 'soft budget of key soft' },
      scope: { key: 'soft' },
      state: 'firing',
      threshold: 0.00001,
      window_minutes: 0,
    })
  })
})

describe('rate limits', () => {
  it('rpm: the limit is admitted with OpenAI headers counting down, then 429 rate_limit_exceeded with Retry-After', async () => {
    const remaining: Array<string | null> = []
    for (let i = 0; i < 3; i++) {
      const res = await chat(keys.rpm)
      expect(res.status).toBe(200)
      expect(res.headers.get('x-ratelimit-limit-requests')).toBe('3')
      remaining.push(res.headers.get('x-ratelimit-remaining-requests'))
    }
    expect(remaining).toEqual(['2', '1', '0'])
    const refused = await chat(keys.rpm)
    expect(refused.status).toBe(429)
    const error = await errorOf(refused)
    expect([error.type, error.code]).toEqual(['rate_limit_exceeded', 'rate_limit_exceeded'])
    expect(error.message).toMatch(/^rate limit exceeded for key rpm: 3 requests per minute; retry after \d+s$/)
    const retry = Number(refused.headers.get('retry-after'))
    expect(retry).toBeGreaterThanOrEqual(1)
    expect(retry).toBeLessThanOrEqual(60)
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0')
  })

  it("tpm: tokens held for a request's worst case are given back at what it used", async () => {
    // Sent together, both are judged by their worst case (~330 tokens each): one fits in 500, not two.
    const both = await Promise.all([chat(keys.tpm, { max_tokens: 300 }), chat(keys.tpm, { max_tokens: 300 })])
    expect(both.map((r) => r.status).sort()).toEqual([200, 429])
    const [admitted, refused] = both[0]!.status === 200 ? both : [both[1]!, both[0]!]
    expect(Number(admitted!.headers.get('x-ratelimit-remaining-tokens'))).toBeLessThan(200)
    expect((await errorOf(refused!)).message).toContain('500 tokens per minute')
    await env.gw.flushSpans()
    // Settled at the mock's usage (a few dozen tokens), the window has room again.
    expect((await chat(keys.tpm, { max_tokens: 300 })).status).toBe(200)
  })

  it('max_parallel: a second request while the first is open is refused', async () => {
    env.mock.fault({ model: 'gpt-4o', delayHeadersMs: 400, times: 1 })
    const slow = chat(keys.parallel)
    await new Promise((r) => setTimeout(r, 100))
    const second = await chat(keys.parallel)
    expect(second.status).toBe(429)
    expect((await errorOf(second)).message).toContain('1 requests at once')
    expect((await slow).status).toBe(200)
    await env.gw.flushSpans()
    expect((await chat(keys.parallel)).status).toBe(200)
  })
})

describe('streams', () => {
  it('a client that hangs up mid-stream is charged what it was sent, estimated, and the hold is released', async () => {
    env.mock.fault({ model: 'gpt-4o', chunkDelayMs: 150, times: 1 })
    const ac = new AbortController()
    const res = await fetch(`${env.url}/v1/chat/completions`, {
      method: 'POST',
      signal: ac.signal,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.stream}` },
      body: JSON.stringify({
        model: 'gpt-4o',
        stream: true,
        max_tokens: 200,
        messages: [{ role: 'user', content: 'tell me a long story' }],
      }),
    })
    const reader = res.body!.getReader()
    await reader.read()
    await reader.read()
    ac.abort()
    const server = serverSpan(await env.trace(res, 2))
    expect(server.status).toBe('cancelled')
    expect(server.cost_usd).toBeGreaterThan(0)
    expect(server.input_tokens).toBeGreaterThan(0)
    await env.gw.flushSpans()
    const usage = (await (
      await fetch(`${env.url}/api/limits/usage`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { scopes: Array<{ name: string; spent_usd: number; held_usd: number }> }
    const scope = usage.scopes.find((s) => s.name === 'streamer')!
    expect(scope.held_usd).toBe(0)
    expect(scope.spent_usd).toBeCloseTo(server.cost_usd!, 12)
  })
})

describe('usage', () => {
  it('GET /api/limits/usage says what every limited key and team has used, and when its budget resets', async () => {
    await env.gw.flushSpans()
    const res = await fetch(`${env.url}/api/limits/usage`, { headers: { authorization: `Bearer ${TOKEN}` } })
    expect(res.status).toBe(200)
    const { scopes } = (await res.json()) as { scopes: Array<Record<string, unknown>> }
    const by = (kind: string, name: string) => scopes.find((s) => s.kind === kind && s.name === name)!
    expect([by('key', 'rpm').rpm, by('key', 'rpm').rpm_used]).toEqual([3, 3])
    expect(by('key', 'par')).toMatchObject({ max_parallel: 1, parallel_open: 0, budget_usd: null, resets_at: null })
    const budget = by('key', 'budgeted')
    expect(budget.budget_usd).toBe(0.003)
    expect(budget.held_usd).toBe(0)
    expect(budget.spent_usd as number).toBeGreaterThan(0.0028)
    expect(budget.resets_at).toMatch(/^20\d\d-\d\d-\d\dT00:00:00\.000Z$/)
    expect(by('team', 'growth')).toMatchObject({ budget_usd: 0.00005, budget_period: 'month', spent_usd: 0 })
    expect((await fetch(`${env.url}/api/limits/usage`)).status).toBe(401)
  })
})

describe('key rules', () => {
  it('a model outside the allow-list is 403 model_not_allowed; an alias or a matching glob passes', async () => {
    const res = await chat(keys.narrow, {}, 'gpt-4o')
    expect(res.status).toBe(403)
    const error = await errorOf(res)
    expect([error.code, error.type, error.param]).toEqual(['model_not_allowed', 'permission_error', 'model'])
    expect((await chat(keys.narrow, {}, 'cheap')).status).toBe(200)
    expect((await chat(keys.narrow, {}, 'gpt-4o-mini')).status).toBe(200)
  })

  it('an expired key is 401 expired_api_key', async () => {
    const res = await chat(keys.old)
    expect(res.status).toBe(401)
    const error = await errorOf(res)
    expect([error.code, error.type]).toEqual(['expired_api_key', 'authentication_error'])
  })
})
