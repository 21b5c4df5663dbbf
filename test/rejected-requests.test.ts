import { describe, expect, it } from 'vitest'
import type { QueryResponse, TraceListResponse } from '@tracegate/schemas'
import { errorOf, traceId, useGateway, serverSpan } from './harness.ts'

const KEY = 'tg-rejected-test-key'
const SECRET = 'TOP-SECRET-PROMPT-FROM-A-STRANGER'
const env = useGateway(
  (mock) => ({
    providers: { openai: { base_url: `${mock.url}/v1`, api_key: 'sk-operator' } },
    keys: [{ key: KEY, name: 'rejections', team: 'r-team' }],
    models: [{ name: 'renamed', targets: [{ provider: 'openai', model: 'gpt-4o' }] }],
    max_request_bytes: 200_000,
  }),
  { apiKey: KEY },
)

const post = (body: string, headers: Record<string, string> = {}) => env.post('/v1/chat/completions', body, headers)
const chat = (extra: object = {}) =>
  JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: SECRET }], ...extra })
const range = () => ({
  from: new Date(Date.now() - 600_000).toISOString(),
  to: new Date(Date.now() + 60_000).toISOString(),
})

describe('requests the gateway refuses', () => {
  const refused: string[] = []

  it("a refused caller's claimed team and user are not kept", async () => {
    const res = await post(chat(), {
      authorization: 'Bearer not-a-key',
      'x-tracegate-team': 'victim-team',
      'x-tracegate-user': 'victim',
    })
    expect(res.status).toBe(401)
    refused.push(traceId(res))
    const span = serverSpan(await env.trace(refused.at(-1)!, 1))
    expect([span.team, span.user]).toEqual(['', ''])
  })

  it('401, 413, 415 and 403 are recorded, without their bodies', async () => {
    const before = env.mock.calls.length
    const cases: Array<[Promise<Response>, number]> = [
      [post(chat(), { authorization: 'Bearer not-a-key' }), 401],
      [post(chat({ pad: 'x'.repeat(250_000) })), 413],
      [post(chat(), { 'content-type': 'text/plain' }), 415],
      [post(chat(), { origin: 'https://evil.example' }), 403],
    ]
    const ids: string[] = []
    for (const [pending, status] of cases) {
      const res = await pending
      expect(res.status).toBe(status)
      ids.push(traceId(res))
    }
    refused.push(...ids)
    expect(env.mock.calls.length).toBe(before)
    for (const [i, id] of ids.entries()) {
      const span = serverSpan(await env.trace(id, 1))
      expect([span.http_status, span.request_body, span.attempt]).toEqual([cases[i]![1], '', 0])
    }
    await env.gw.flushSpans()
    const dump = await (
      await env.gw.store.client.query({ query: `SELECT * FROM ${env.gw.store.database}.spans`, format: 'JSONEachRow' })
    ).text()
    expect(dump.includes(SECRET)).toBe(false)
  })

  it('they never enter the rollup or the raw-span slices, so no provider looks like it failed', async () => {
    for (let i = 0; i < 2; i++) expect((await post(chat())).status).toBe(200)
    await env.gw.flushSpans()
    const query = async (body: object) =>
      (await (
        await fetch(`${env.url}/api/query`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...range(), ...body }),
        })
      ).json()) as QueryResponse
    const rollup = await query({ metrics: ['requests', 'errors', 'error_rate'] })
    expect(rollup.source).toBe('rollup')
    expect(rollup.rows[0]).toMatchObject({ requests: 2, errors: 0, error_rate: 0 })
    const raw = await query({ group_by: ['user'], metrics: ['requests', 'errors'] })
    expect(raw.source).toBe('spans')
    expect(raw.rows).toEqual([{ user: '', requests: 2, errors: 0 }])
    const list = (await (await fetch(`${env.url}/api/traces?outcome=rejected&limit=50`)).json()) as TraceListResponse
    expect(list.traces.map((t) => t.trace_id).sort()).toEqual([...refused].sort())
  })
})

describe('input bounds on the LLM routes', () => {
  it('a model name that is not printable ASCII is a 400, never a reset connection or a 500', async () => {
    for (const model of ['模型', 'gpt-4o\u0007', 'caf\u00e9']) {
      const res = await post(JSON.stringify({ model, messages: [] }))
      expect([model, res.status, (await errorOf(res)).param]).toEqual([model, 400, 'model'])
    }
    const fallback = await post(chat(), { 'x-tracegate-fallbacks': 'openai/caf\u00e9' })
    expect([fallback.status, (await errorOf(fallback)).param]).toEqual([400, 'x-tracegate-fallbacks'])
  })

  it('a model name over 256 characters is a 400 naming model, and is not copied into the span', async () => {
    const res = await post(JSON.stringify({ model: 'm'.repeat(257), messages: [] }))
    expect(res.status).toBe(400)
    expect((await errorOf(res)).param).toBe('model')
    const span = serverSpan(await env.trace(res, 1))
    expect(span.request_model).toBe('')
    const fallbacks = await post(chat(), { 'x-tracegate-fallbacks': `openai/${'m'.repeat(300)}` })
    expect([fallbacks.status, (await errorOf(fallbacks)).param]).toEqual([400, 'x-tracegate-fallbacks'])
  })

  it('JSON nested deeper than 64 levels is a 400, however deep (not a 500)', async () => {
    const nest = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`
    for (const depth of [65, 30_000]) {
      const res = await post(`{"model":"renamed","messages":[{"role":"user","content":"x"}],"metadata":${nest(depth)}}`)
      const err = await errorOf(res)
      expect([depth, res.status, err.code]).toEqual([depth, 400, 'invalid_json'])
      expect(err.message).toContain('deeper than 64 levels')
    }
    const ok = await post(`{"model":"renamed","messages":[{"role":"user","content":"x"}],"metadata":${nest(60)}}`)
    expect(ok.status).toBe(200)
  })
})
