import { describe, expect, it } from 'vitest'
import OpenAI from 'openai'
import type { MockCall } from './mock-upstream.ts'
import { useGateway, serverSpan } from './harness.ts'

const env = useGateway(
  (mock) => ({
    providers: {
      openai: { base_url: `${mock.url}/v1`, api_key: '${TEST_OPENAI_KEY}' },
      anthropic: { base_url: mock.url, api_key: 'sk-ant-provider-key-from-config' },
      gemini: { base_url: `${mock.url}/gemini`, api_key: 'gemini-provider-key-from-config' },
    },
    keys: [
      { key: 'tg-growth-key-0001', name: 'growth-backend', team: 'growth', user: 'svc-growth' },
      { key: 'tg-search-key-0002', name: 'search-batch', team: 'search' },
      { key: 'tg-shared-key-0003', name: 'shared-tools' },
    ],
  }),
  { env: { TEST_OPENAI_KEY: 'sk-provider-key-from-config' } },
)

describe('gateway keys', () => {
  it('a gateway key is swapped for the provider key from config, and its name and team recorded', async () => {
    const client = env.openai('tg-growth-key-0001')
    const { response } = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
    expect(env.mock.calls.at(-1)!.headers.authorization).toBe('Bearer sk-provider-key-from-config')
    const req = serverSpan(await env.trace(response))
    expect(req.key_name).toBe('growth-backend')
    expect(req.team).toBe('growth')
  })

  it('an unknown key is refused with 401 before anything reaches the provider', async () => {
    const before = env.mock.calls.length
    const client = env.openai('sk-not-a-gateway-key')
    const err = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError)
    expect(err.status).toBe(401)
    expect(err.code).toBe('invalid_api_key')
    expect(env.mock.calls.length).toBe(before)
  })
})

const GATEWAY_KEYS = ['tg-growth-key-0001', 'tg-search-key-0002', 'tg-shared-key-0003']
/** Every header and the URL the provider saw for one call, to search for leaked keys. */
const seen = (c: MockCall) => JSON.stringify(c.headers) + c.url

describe('a gateway key never reaches a provider', () => {
  it('sent as x-api-key (Anthropic SDK style), it is replaced by the provider key', async () => {
    const res = await env.post(
      '/v1/messages',
      { model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] },
      { 'x-api-key': 'tg-search-key-0002' },
    )
    expect(res.status).toBe(200)
    const call = env.mock.calls.at(-1)!
    expect(call.headers['x-api-key']).toBe('sk-ant-provider-key-from-config')
    expect(GATEWAY_KEYS.some((k) => seen(call).includes(k))).toBe(false)
  })

  it('sent as x-goog-api-key or ?key= (Gemini style), it is replaced by the provider key in x-goog-api-key', async () => {
    const path = '/p/gemini/v1beta/models/gemini-2.5-flash:generateContent'
    const body = JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] })
    await env.post(path, body, { 'x-goog-api-key': 'tg-search-key-0002' })
    const viaHeader = env.mock.calls.at(-1)!
    await env.post(`${path}?alt=sse&key=tg-search-key-0002`, body)
    const viaQuery = env.mock.calls.at(-1)!
    // `%6bey` is `key` to the provider: it is read as the key and taken out too.
    const before = env.mock.calls.length
    await env.post(`${path}?alt=sse&%6bey=tg-search-key-0002`, body)
    expect(env.mock.calls.length).toBe(before + 1)
    const viaEncodedQuery = env.mock.calls.at(-1)!
    for (const call of [viaHeader, viaQuery, viaEncodedQuery]) {
      expect(call.path).toBe('/gemini/v1beta/models/gemini-2.5-flash:generateContent')
      expect(call.headers['x-goog-api-key']).toBe('gemini-provider-key-from-config')
      expect(GATEWAY_KEYS.some((k) => seen(call).includes(k))).toBe(false)
    }
    expect(viaQuery.url).toBe('/gemini/v1beta/models/gemini-2.5-flash:generateContent?alt=sse')
  })

  it("on /v1/*, gemini/<model> goes to Gemini's OpenAI-compatible API under the native base, keyed the same way", async () => {
    const res = await env.chat('gemini/gemini-2.5-flash', { authorization: 'Bearer tg-search-key-0002' })
    expect(res.status).toBe(200)
    const call = env.mock.calls.at(-1)!
    expect(call.path).toBe('/gemini/v1beta/openai/chat/completions')
    expect(call.headers['x-goog-api-key']).toBe('gemini-provider-key-from-config')
    expect(call.headers.authorization).toBeUndefined()
  })

  it('credentials in a forwarded query string are masked in the span and never stored', async () => {
    const res = await fetch(`${env.url}/p/openai/models?api_key=qs-secret-value-42&token=qs-token-value-43&limit=5`, {
      headers: { authorization: 'Bearer tg-growth-key-0001' },
    })
    expect(env.mock.calls.at(-1)!.url).toBe('/v1/models?api_key=qs-secret-value-42&token=qs-token-value-43&limit=5')
    const trace = await env.trace(res)
    const attempt = trace.spans.find((s) => s.kind === 'client')!
    expect(attempt.attributes['url.path']).toBe('/v1/models?api_key=[redacted]&token=[redacted]&limit=5')
    await env.gw.flushSpans()
    const dump = await (
      await env.gw.store.client.query({ query: `SELECT * FROM ${env.gw.store.database}.spans`, format: 'JSONEachRow' })
    ).text()
    expect(dump.includes('qs-secret-value-42') || dump.includes('qs-token-value-43')).toBe(false)
    expect(env.gw.logs.join('').includes('qs-secret-value-42')).toBe(false)
  })
})

describe('attribution cannot be forged', () => {
  const ask = (key: string, headers: Record<string, string>) =>
    env
      .openai(key)
      .chat.completions.create(
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'bill someone else' }] },
        { headers },
      )
      .withResponse()

  it("a key's team and user win over x-tracegate-team and x-tracegate-user", async () => {
    const { response } = await ask('tg-growth-key-0001', {
      'x-tracegate-team': 'finance',
      'x-tracegate-user': 'ceo',
      'x-tracegate-workflow': 'wf-1',
    })
    const req = serverSpan(await env.trace(response))
    expect([req.key_name, req.team, req.user, req.workflow]).toEqual(['growth-backend', 'growth', 'svc-growth', 'wf-1'])
  })

  it('headers fill in only what the key leaves open', async () => {
    const { response } = await ask('tg-shared-key-0003', { 'x-tracegate-team': 'research', 'x-tracegate-user': 'ana' })
    const req = serverSpan(await env.trace(response))
    expect([req.key_name, req.team, req.user]).toEqual(['shared-tools', 'research', 'ana'])
  })
})
