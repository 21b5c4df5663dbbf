import { describe, expect, it } from 'vitest'
import OpenAI from 'openai'
import { errorOf, serverSpan, useGateway } from './harness.ts'

/**
 * Scripts written against a LiteLLM proxy's key management keep working: /key/generate, /key/info,
 * /key/update, /key/delete, /team/new and /team/info, with the admin token as the master key, the
 * keys they make working through the openai SDK at once.
 */
const MASTER = 'sk-litellm-master-key'
// A config key keeps the gateway in gateway-key mode when the test revokes the one it made.
const env = useGateway(
  (mock) => ({
    providers: { openai: { base_url: `${mock.url}/v1` } },
    keys: [{ key: 'tg-config-anchor-key', name: 'anchor' }],
    litellm: { response_cost_header: true },
  }),
  { adminToken: MASTER },
)

const call = async (method: string, path: string, body?: unknown, token = MASTER) =>
  fetch(`${env.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
const ask = (key: string) =>
  new OpenAI({ apiKey: key, baseURL: `${env.url}/v1`, maxRetries: 0 }).chat.completions.create({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'hi' }],
    max_tokens: 5,
  })

let secret = ''

describe('LiteLLM key management endpoints', () => {
  it('/team/new and /team/info: a team by its alias, budget duration as a calendar period', async () => {
    const made = await call('POST', '/team/new', {
      team_alias: 'growth',
      max_budget: 100,
      budget_duration: '1mo',
      rpm_limit: 600,
    })
    expect(made.status).toBe(200)
    expect(await made.json()).toMatchObject({
      team_id: 'growth',
      team_alias: 'growth',
      max_budget: 100,
      budget_duration: 'month',
      rpm_limit: 600,
    })
    const info = (await (await call('GET', '/team/info?team_id=growth')).json()) as {
      team_info: Record<string, unknown>
    }
    expect(info.team_info).toMatchObject({ team_id: 'growth', max_budget: 100, spend: 0 })
  })

  it('/key/generate makes a key that works at once; fields tracegate does not use are accepted', async () => {
    const res = await call('POST', '/key/generate', {
      key_alias: 'svc',
      models: ['gpt-4o'],
      max_budget: 10,
      budget_duration: '30d',
      rpm_limit: 5,
      team_id: 'growth',
      metadata: { owner: 'data-team', priority: 1 },
      duration: '1h',
      guardrails: ['pii'],
    })
    expect(res.status).toBe(200)
    const key = (await res.json()) as Record<string, unknown>
    secret = String(key.key)
    expect(secret).toMatch(/^tg-/)
    expect(key).toMatchObject({
      key_alias: 'svc',
      team_id: 'growth',
      models: ['gpt-4o'],
      max_budget: 10,
      budget_duration: 'month',
      rpm_limit: 5,
      metadata: { owner: 'data-team', priority: '1' },
    })
    const expires = Date.parse(String(key.expires)) - Date.now()
    expect(expires).toBeGreaterThan(3_500_000)
    expect(expires).toBeLessThanOrEqual(3_600_000)
    const answer = await ask(secret)
    expect(answer.choices[0]!.message.content).toBe('Hello from the mock upstream.')
  })

  it('/key/info by the secret shows its spend; /key/update changes what it names', async () => {
    await env.gw.flushSpans()
    const info = (await (await call('GET', `/key/info?key=${secret}`)).json()) as {
      key: string
      info: Record<string, unknown>
    }
    expect(info.key).toBe(`…${secret.slice(-4)}`)
    expect(info.info.key_alias).toBe('svc')
    expect(info.info.spend as number).toBeGreaterThan(0)
    const updated = (await (await call('POST', '/key/update', { key: secret, rpm_limit: 2 })).json()) as Record<
      string,
      unknown
    >
    expect([updated.rpm_limit, updated.team_id, updated.max_budget]).toEqual([2, 'growth', 10])
    // One request is already in this minute: the second of rpm 2 passes, the third is refused.
    await ask(secret)
    const refused = await ask(secret).catch((e: { status: number; code: string }) => e)
    expect([(refused as { status: number }).status, (refused as { code: string }).code]).toEqual([
      429,
      'rate_limit_exceeded',
    ])
  })

  it('/key/delete revokes; the master key is required; bad values are a 400 naming the field', async () => {
    expect(await (await call('POST', '/key/delete', { keys: [secret] })).json()).toEqual({ deleted_keys: [secret] })
    const gone = await ask(secret).catch((e: { status: number }) => e)
    expect((gone as { status: number }).status).toBe(401)
    expect((await call('POST', '/key/generate', {}, 'wrong')).status).toBe(401)
    const bad = await call('POST', '/key/generate', { max_budget: -1 })
    expect(bad.status).toBe(400)
    expect((await errorOf(bad)).param).toBe('max_budget')
    expect((await call('GET', '/team/info?team_id=nobody')).status).toBe(404)
    const made = (await (await call('POST', '/key/generate', {})).json()) as { key: string }
    const badAlias = await call('POST', '/key/update', { key: made.key, key_alias: 'bad/alias' })
    expect(badAlias.status).toBe(400)
    expect((await errorOf(badAlias)).param).toBe('name')
  })
})

describe('LiteLLM attribution and headers', () => {
  it("x-litellm-tags, the body's user and LiteLLM's metadata attribute the request; LiteLLM's headers come back", async () => {
    const res = await env.post(
      '/v1/chat/completions',
      {
        model: 'gpt-4o',
        user: 'end-user-42',
        metadata: { tags: ['checkout', 'beta'], trace_name: 'checkout-flow', session_id: 'sess-9' },
        messages: [{ role: 'user', content: 'hi' }],
      },
      { authorization: 'Bearer tg-config-anchor-key', 'x-litellm-tags': 'prod, checkout' },
    )
    expect(res.status).toBe(200)
    const traceId = res.headers.get('x-tracegate-trace-id')!
    expect(res.headers.get('x-litellm-call-id')).toBe(traceId)
    expect(res.headers.get('x-litellm-model-id')).toBe('openai/gpt-4o')
    const server = serverSpan(await env.trace(traceId))
    expect([server.user, server.workflow, server.session_id]).toEqual(['end-user-42', 'checkout-flow', 'sess-9'])
    const rs = await env.gw.store.client.query({
      query: `SELECT Tags FROM ${env.gw.store.database}.spans WHERE TraceId = {id:String} AND SpanKind = 'Server'`,
      query_params: { id: traceId },
      format: 'JSONEachRow',
    })
    expect((await rs.json<{ Tags: string[] }>())[0]!.Tags).toEqual(['prod', 'checkout', 'beta'])
    const upstream = env.mock.calls.at(-1)!
    expect(upstream.headers['x-litellm-tags']).toBeUndefined()
    // The body goes upstream untouched, LiteLLM's fields included.
    expect(JSON.parse(upstream.body).metadata).toEqual({
      tags: ['checkout', 'beta'],
      trace_name: 'checkout-flow',
      session_id: 'sess-9',
    })
  })

  it('x-litellm-response-cost: a non-streamed answer carries what its span records; a stream carries none', async () => {
    const openai = new OpenAI({ apiKey: 'tg-config-anchor-key', baseURL: `${env.url}/v1`, maxRetries: 0 })
    const { data, response } = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'what does this cost?' }] })
      .withResponse()
    expect(data.choices[0]!.message.content).toBe('Hello from the mock upstream.')
    const header = response.headers.get('x-litellm-response-cost')
    const span = serverSpan(await env.trace(response.headers.get('x-tracegate-trace-id')!))
    expect(span.cost_usd).toBeGreaterThan(0)
    expect(Number(header)).toBeCloseTo(span.cost_usd!, 12)
    const stream = await openai.chat.completions
      .create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'and this?' }] })
      .withResponse()
    for await (const chunk of stream.data) void chunk
    expect(stream.response.headers.get('x-litellm-response-cost')).toBeNull()
    expect(stream.response.headers.get('x-litellm-call-id')).toBe(stream.response.headers.get('x-tracegate-trace-id'))
  })
})
