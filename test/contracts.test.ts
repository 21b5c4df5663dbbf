import { describe, expect, it } from 'vitest'
import OpenAI from 'openai'
import type { TraceListResponse } from '@tracegate/schemas'
import { errorOf, traceId, useGateway, serverSpan, clientSpans } from './harness.ts'

const BYO_KEY = 'sk-proj-SECRET-byok-do-not-leak-9f8e7d6c5b4a'
const env = useGateway(
  (mock) => ({
    providers: {
      openai: { base_url: `${mock.url}/v1` },
      anthropic: { base_url: mock.url },
      groq: { base_url: `${mock.url}/openai/v1` },
      local: { type: 'openai-compatible', base_url: `${mock.url}/local/v1` },
      down: { type: 'openai-compatible', base_url: 'http://127.0.0.1:9/v1' },
      azure: { base_url: `${mock.url}/openai/v1`, api_version: 'preview' },
    },
    models: [{ name: 'smart', targets: [{ provider: 'openai', model: 'gpt-4o' }] }],
    prices: { 'local/priced-model': { input_mtok: 3, output_mtok: 7 } },
    max_body_bytes: 2000,
  }),
  { apiKey: BYO_KEY },
)

describe('trace context and attribution', () => {
  it('continues the caller trace from traceparent and parents the upstream call on the attempt span', async () => {
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736'
    const callerSpan = '00f067aa0ba902b7'
    const res = await env.chat('gpt-4o', {
      traceparent: `00-${callerTrace}-${callerSpan}-01`,
      tracestate: 'vendor=abc',
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-tracegate-trace-id')).toBe(callerTrace)
    const trace = await env.trace(callerTrace)
    const req = serverSpan(trace)
    const [attempt] = clientSpans(trace)
    expect(req.trace_id).toBe(callerTrace)
    expect(req.parent_span_id).toBe(callerSpan)
    expect(env.mock.calls.at(-1)!.headers.traceparent).toBe(`00-${callerTrace}-${attempt!.span_id}-01`)
    expect(env.mock.calls.at(-1)!.headers.tracestate).toBe('vendor=abc')
  })

  it('records attribution headers and strips them before forwarding', async () => {
    const res = await env.chat('gpt-4o', {
      'x-tracegate-workflow': 'support-bot',
      'x-tracegate-team': 'growth',
      'x-tracegate-user': 'u-42',
      'x-tracegate-session': 's-7',
      'x-tracegate-tags': 'beta, eu',
      'x-tracegate-meta-ticket': 'T-1001',
    })
    const sent = env.mock.calls.at(-1)!.headers
    expect(Object.keys(sent).filter((h) => h.startsWith('x-tracegate'))).toEqual([])
    const req = serverSpan(await env.trace(res))
    expect([req.workflow, req.team, req.user, req.session_id]).toEqual(['support-bot', 'growth', 'u-42', 's-7'])
    expect(req.tags).toEqual(['beta', 'eu'])
    expect(req.attributes['tracegate.meta.ticket']).toBe('T-1001')
  })
})

describe('model resolution', () => {
  it('an alias is rewritten to its target model, and the response headers say where it went', async () => {
    const res = await env.chat('smart')
    expect(env.mock.calls.at(-1)!.json.model).toBe('gpt-4o')
    expect(res.headers.get('x-tracegate-provider')).toBe('openai')
    expect(res.headers.get('x-tracegate-model')).toBe('gpt-4o')
    expect(res.headers.get('x-tracegate-attempts')).toBe('1')
    const trace = await env.trace(res)
    expect(serverSpan(trace).request_model).toBe('smart')
    expect(serverSpan(trace).attributes['tracegate.alias']).toBe('smart')
    expect(clientSpans(trace)[0]!.request_model).toBe('gpt-4o')
  })

  it('provider/model goes to that provider with its own auth header; the body is forwarded byte for byte', async () => {
    const raw = '{"model":"anthropic/claude-sonnet-4-6",  "messages":[{"role":"user","content":"hi"}], "max_tokens": 9}'
    const res = await env.post('/v1/chat/completions', raw)
    expect(res.status).toBe(200)
    const call = env.mock.calls.at(-1)!
    expect(call.path).toBe('/v1/chat/completions')
    expect(call.headers['x-api-key']).toBe(BYO_KEY)
    expect(call.headers.authorization).toBeUndefined()
    expect(call.json.model).toBe('claude-sonnet-4-6')
    expect(res.headers.get('x-tracegate-provider')).toBe('anthropic')

    const untouched = '{"model":"gpt-4o",   "messages":[{"role":"user","content":"spacing kept"}]}'
    await env.post('/v1/chat/completions', untouched)
    expect(env.mock.calls.at(-1)!.body).toBe(untouched)
  })

  it('azure gets its api-key header and api-version query', async () => {
    const res = await env.chat('azure/my-gpt4o-deployment')
    expect(res.status).toBe(200)
    const call = env.mock.calls.at(-1)!
    expect(call.url).toBe('/openai/v1/chat/completions?api-version=preview')
    expect(call.headers['api-key']).toBe(BYO_KEY)
    expect(call.headers.authorization).toBeUndefined()
    expect(call.json.model).toBe('my-gpt4o-deployment')
  })

  it('the raw /p/{provider}/ route forwards any path to that provider', async () => {
    const client = new OpenAI({ apiKey: BYO_KEY, baseURL: `${env.url}/p/groq`, maxRetries: 0 })
    const { response } = await client.chat.completions
      .create({ model: 'llama-3.3-70b-versatile', messages: [{ role: 'user', content: 'yo' }] })
      .withResponse()
    expect(env.mock.calls.at(-1)!.path).toBe('/openai/v1/chat/completions')
    const trace = await env.trace(response)
    expect(clientSpans(trace)[0]!.provider).toBe('groq')
    expect(clientSpans(trace)[0]!.cost_source).toBe('genai-prices')
    expect(clientSpans(trace)[0]!.cost_usd).toBeGreaterThan(0)
  })

  it('GET /v1/models lists the aliases, their targets and the default provider models', async () => {
    const client = env.openai(BYO_KEY)
    const ids: string[] = []
    for await (const m of client.models.list()) ids.push(m.id)
    expect(ids).toEqual(['smart', 'openai/gpt-4o', 'gpt-4o'])
    expect(env.mock.calls.at(-1)!.path).toBe('/v1/models')
    expect(env.mock.calls.at(-1)!.headers.authorization).toBe(`Bearer ${BYO_KEY}`)
  })
})

describe('pricing', () => {
  it('a config price override is used; an unknown model is flagged unpriced with no cost', async () => {
    const priced = await env.chat('local/priced-model')
    const t1 = await env.trace(priced)
    const u = env.mock.calls.at(-1)!.usage!
    const a1 = clientSpans(t1)[0]!
    expect(a1.cost_source).toBe('override')
    expect(a1.cost_usd).toBeCloseTo((u.prompt_tokens! * 3 + u.completion_tokens! * 7) / 1e6, 9)

    const unpriced = await env.chat('local/mystery-model')
    const t2 = await env.trace(unpriced)
    expect(clientSpans(t2)[0]!.cost_usd).toBeNull()
    expect(clientSpans(t2)[0]!.cost_source).toBe('unpriced')
    expect(serverSpan(t2).cost_source).toBe('unpriced')
    expect(clientSpans(t2)[0]!.input_tokens).toBe(env.mock.calls.at(-1)!.usage!.prompt_tokens)
  })
})

describe('errors', () => {
  it('malformed JSON gets a 400 OpenAI-style error', async () => {
    const res = await env.post('/v1/chat/completions', '{"model": "gpt-4o", "messages": [')
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: { type: string; code: string; message: string } }
    expect(body.error.type).toBe('invalid_request_error')
    expect(body.error.code).toBe('invalid_json')
    expect(body.error.message).toMatch(/not valid JSON/)
  })

  it('a missing model is a 400 naming the parameter', async () => {
    const res = await env.post('/v1/chat/completions', { messages: [] })
    expect(res.status).toBe(400)
    expect((await errorOf(res)).param).toBe('model')
  })

  it('a body over max_request_bytes is a 413; an unknown route a 404, both OpenAI-shaped', async () => {
    const big = await env.post('/v1/chat/completions', {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'x'.repeat(11 * 1024 * 1024) }],
    })
    expect(big.status).toBe(413)
    expect((await errorOf(big)).code).toBe('request_too_large')
    const missing = await fetch(`${env.url}/v1/nothing-here`)
    expect(missing.status).toBe(404)
    expect((await errorOf(missing)).code).toBe('not_found')
  })

  it('an upstream error passes through unchanged and is recorded as an error', async () => {
    const res = await env.chat('gpt-4o', { 'x-mock-status': '503' })
    expect(res.status).toBe(503)
    expect(await res.json()).toEqual({
      error: { message: 'mock failure 503', type: 'server_error', param: null, code: null },
    })
    const trace = await env.trace(res)
    expect(serverSpan(trace).status).toBe('error')
    expect(serverSpan(trace).http_status).toBe(503)
    expect(clientSpans(trace)[0]!.error_type).toBe('503')
  })

  it('an unreachable upstream is a 502 and still leaves a trace', async () => {
    const res = await env.chat('down/some-model')
    expect(res.status).toBe(502)
    expect((await errorOf(res)).code).toBe('upstream_unreachable')
    const trace = await env.trace(res)
    expect(serverSpan(trace).http_status).toBe(502)
    expect(clientSpans(trace)[0]!.error_type).toBe('connect_error')
  })
})

describe('bodies and listing', () => {
  it('request bodies are capped at max_body_bytes and marked truncated', async () => {
    const res = await env.chat('gpt-4o', {}, { messages: [{ role: 'user', content: 'y'.repeat(5000) }] })
    const req = serverSpan(await env.trace(res))
    expect(Buffer.byteLength(req.request_body)).toBe(2000)
    expect(req.body_truncated).toBe(true)
  })

  it('GET /api/traces filters by team and pages with a cursor', async () => {
    const ids: string[] = []
    for (let i = 0; i < 3; i++) ids.push(traceId(await env.chat('gpt-4o', { 'x-tracegate-team': 'paging-team' })))
    for (const id of ids) await env.trace(id)
    const page1 = (await (await fetch(`${env.url}/api/traces?team=paging-team&limit=2`)).json()) as TraceListResponse
    expect(page1.traces.map((t) => t.trace_id)).toEqual([ids[2], ids[1]])
    const page2 = (await (
      await fetch(`${env.url}/api/traces?team=paging-team&limit=2&cursor=${page1.next_cursor}`)
    ).json()) as TraceListResponse
    expect(page2.traces.map((t) => t.trace_id)).toEqual([ids[0]])
    expect(page2.next_cursor).toBeNull()
    const bad = await fetch(`${env.url}/api/traces?limit=0`)
    expect(bad.status).toBe(400)
    const forged = await fetch(`${env.url}/api/traces?cursor=${Buffer.from("x' OR 1=1|zz").toString('base64url')}`)
    expect(forged.status).toBe(400)
    expect((await errorOf(forged)).param).toBe('cursor')
  })

  it('health and readiness answer', async () => {
    expect((await fetch(`${env.url}/healthz`)).status).toBe(200)
    const ready = await fetch(`${env.url}/readyz`)
    expect(ready.status).toBe(200)
    expect(((await ready.json()) as { storage: { engine: string } }).storage.engine).toBe('chdb')
  })
})

describe('keys never leak', () => {
  it('a bring-your-own key appears nowhere in ClickHouse nor in the logs, only its hash label', async () => {
    const res = await env.chat('gpt-4o', { 'x-tracegate-team': 'leak-check' })
    const req = serverSpan(await env.trace(res))
    expect(req.key_name).toMatch(new RegExp(`^sha256:[0-9a-f]{12}…${BYO_KEY.slice(-4)}$`))
    await env.gw.flushSpans()
    const db = env.gw.store.database
    let dumped = 0
    for (const table of ['spans', 'spans_trace_id_ts', 'spans_1m']) {
      const rs = await env.gw.store.client.query({ query: `SELECT * FROM ${db}.${table}`, format: 'JSONEachRow' })
      const text = await rs.text()
      dumped += text.length
      expect(text.includes(BYO_KEY), `key found in ${table}`).toBe(false)
      expect(text.includes(BYO_KEY.slice(0, 20)), `key prefix found in ${table}`).toBe(false)
    }
    expect(dumped).toBeGreaterThan(1000)
    const logs = env.gw.logs.join('')
    expect(logs.length).toBeGreaterThan(0)
    expect(logs.includes(BYO_KEY)).toBe(false)
    expect(logs.includes(BYO_KEY.slice(0, 20))).toBe(false)
  })
})
