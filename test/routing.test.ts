import { beforeAll, describe, expect, it } from 'vitest'
import type OpenAI from 'openai'
import { useGateway, serverSpan, clientSpans } from './harness.ts'

const fast = { initial_ms: 10, max_ms: 50, multiplier: 2, jitter: 0 }

const env = useGateway((mock) => ({
  providers: {
    openai: { base_url: `${mock.url}/v1` },
    backup: { type: 'openai-compatible', base_url: `${mock.url}/backup/v1` },
  },
  models: [
    {
      name: 'resilient',
      retries: 1,
      backoff: fast,
      targets: [
        { provider: 'openai', model: 'primary' },
        { provider: 'backup', model: 'secondary' },
      ],
    },
    {
      name: 'lb',
      strategy: 'loadbalance',
      retries: 0,
      targets: [
        { provider: 'openai', model: 'lb-a', weight: 3 },
        { provider: 'openai', model: 'lb-b', weight: 1 },
      ],
    },
    {
      name: 'fragile',
      retries: 0,
      cooldown: { failures: 2, window_ms: 60_000, duration_ms: 400 },
      targets: [
        { provider: 'openai', model: 'cool-primary' },
        { provider: 'backup', model: 'cool-secondary' },
      ],
    },
    {
      name: 'hasty',
      retries: 0,
      attempt_timeout_ms: 150,
      first_byte_timeout_ms: 150,
      targets: [
        { provider: 'openai', model: 'sleepy' },
        { provider: 'backup', model: 'awake' },
      ],
    },
    { name: 'single', retries: 0, targets: [{ provider: 'openai', model: 'only' }] },
  ],
}))
let client: OpenAI
beforeAll(() => {
  client = env.openai('sk-routing-test')
})

const ask = (model: string, headers: Record<string, string> = {}) =>
  client.chat.completions
    .create({ model, messages: [{ role: 'user', content: 'route me' }] }, { headers })
    .withResponse()

describe('retries and fallbacks', () => {
  it('500 then 200: the client gets 200, two attempt spans, the second says why it ran', async () => {
    env.mock.fault({ model: 'primary', status: 500, times: 1 })
    const { data, response } = await ask('resilient')
    expect(data.choices[0]!.message.content).toBe('Hello from the mock upstream.')
    expect(response.headers.get('x-tracegate-attempts')).toBe('2')
    const trace = await env.trace(response, 3)
    const [first, second] = clientSpans(trace).sort((a, b) => a.attempt - b.attempt)
    expect(first!.http_status).toBe(500)
    expect(first!.status).toBe('error')
    expect(second!.http_status).toBe(200)
    expect(second!.attributes['tracegate.retry_reason']).toBe('500')
    expect(second!.attributes['http.request.resend_count']).toBe('1')
    expect(second!.attributes['tracegate.backoff_ms']).toBe('10')
    expect(serverSpan(trace).attempt).toBe(2)
    expect(serverSpan(trace).status).toBe('ok')
  })

  it('429 with Retry-After: 1 makes the gateway wait about a second', async () => {
    env.mock.fault({ model: 'primary', status: 429, retryAfter: '1', times: 1 })
    const started = Date.now()
    const { response } = await ask('resilient')
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    const trace = await env.trace(response, 3)
    const retried = clientSpans(trace).find((s) => s.attempt === 2)!
    expect(Number(retried.attributes['tracegate.backoff_ms'])).toBeGreaterThanOrEqual(900)
    expect(retried.attributes['tracegate.retry_reason']).toBe('429')
  })

  it('when the primary exhausts its retries the fallback answers, and the response says so', async () => {
    env.mock.fault({ model: 'primary', status: 503 })
    const { response } = await ask('resilient')
    expect(response.status).toBe(200)
    expect(response.headers.get('x-tracegate-provider')).toBe('backup')
    expect(response.headers.get('x-tracegate-model')).toBe('secondary')
    expect(response.headers.get('x-tracegate-attempts')).toBe('3')
    const trace = await env.trace(response, 4)
    const req = serverSpan(trace)
    expect(req.attributes['tracegate.fell_back']).toBe('true')
    expect(req.provider).toBe('backup')
    const last = clientSpans(trace).find((s) => s.attempt === 3)!
    expect(last.attributes['tracegate.is_fallback']).toBe('true')
    expect(last.attributes['tracegate.target_index']).toBe('1')
    expect(env.mock.calls.at(-1)!.path).toBe('/backup/v1/chat/completions')
  })

  it('an error that retrying cannot fix passes through unchanged when nothing else is left', async () => {
    env.mock.fault({
      model: 'only',
      status: 400,
      body: { error: { message: 'bad thing', type: 'invalid_request_error', param: 'messages', code: null } },
    })
    const err = await ask('single').catch((e) => e)
    expect(err.status).toBe(400)
    expect(err.error).toEqual({ message: 'bad thing', type: 'invalid_request_error', param: 'messages', code: null })
  })

  it('a context-length 400 moves to the next target without retrying the same one', async () => {
    env.mock.fault({
      model: 'primary',
      status: 400,
      body: {
        error: {
          message: "This model's maximum context length is 8192 tokens",
          type: 'invalid_request_error',
          param: 'messages',
          code: 'context_length_exceeded',
        },
      },
    })
    const { response } = await ask('resilient')
    expect(response.headers.get('x-tracegate-model')).toBe('secondary')
    expect(response.headers.get('x-tracegate-attempts')).toBe('2')
  })

  // The draw is random here (the unit test checks it exactly with a seeded generator); 10 points is
  // 4.6 standard deviations for 400 draws, so this fails on a broken weighting, not on bad luck.
  it('load balancing with weights 3:1 over 400 requests lands within 10 points of 75/25', async () => {
    const before = env.mock.calls.length
    for (let i = 0; i < 400; i += 20) await Promise.all(Array.from({ length: 20 }, () => ask('lb')))
    const models = env.mock.calls.slice(before).map((c) => c.json.model)
    const share = models.filter((m) => m === 'lb-a').length / models.length
    expect(models).toHaveLength(400)
    expect(share).toBeGreaterThan(0.65)
    expect(share).toBeLessThan(0.85)
  })
})

describe('cooldowns', () => {
  it('after N failures the target is skipped during its cooldown, then probed once', async () => {
    env.mock.fault({ model: 'cool-primary', status: 500 })
    await ask('fragile')
    await ask('fragile')
    const before = env.mock.calls.length
    const { response } = await ask('fragile')
    expect(env.mock.calls.slice(before).map((c) => c.json.model)).toEqual(['cool-secondary'])
    const trace = await env.trace(response, 2)
    const skipped = serverSpan(trace).events.find((e) => e.name === 'target skipped: cooldown')
    expect(skipped?.attributes['tracegate.target']).toBe('openai/cool-primary')
    env.mock.clearFaults()
    await new Promise((r) => setTimeout(r, 450))
    const probeFrom = env.mock.calls.length
    await ask('fragile')
    expect(env.mock.calls.slice(probeFrom).map((c) => c.json.model)).toEqual(['cool-primary'])
  })
})

describe('timeouts', () => {
  it('no response headers within attempt_timeout_ms: next target, error_type timeout', async () => {
    env.mock.fault({ model: 'sleepy', delayHeadersMs: 1000 })
    const started = Date.now()
    const { response } = await ask('hasty')
    expect(Date.now() - started).toBeLessThan(900)
    expect(response.headers.get('x-tracegate-model')).toBe('awake')
    const trace = await env.trace(response, 3)
    expect(clientSpans(trace).find((s) => s.attempt === 1)!.error_type).toBe('timeout')
  })

  it('a stream with no first byte within first_byte_timeout_ms fails over before the client sees anything', async () => {
    env.mock.fault({ model: 'sleepy', firstChunkDelayMs: 1000 })
    const { data, response } = await client.chat.completions
      .create({ model: 'hasty', stream: true, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
    let text = ''
    for await (const c of data) text += c.choices[0]?.delta?.content ?? ''
    expect(text).toBe('Hello from the mock upstream.')
    expect(response.headers.get('x-tracegate-model')).toBe('awake')
    const trace = await env.trace(response, 3)
    expect(clientSpans(trace).find((s) => s.attempt === 1)!.error_type).toBe('timeout')
  })
})

describe('streams after the first byte', () => {
  it('a mid-stream cut does not fail over: the client gets an error event, the span partial tokens', async () => {
    env.mock.fault({ model: 'primary', cutAfterChunks: 2, chunkDelayMs: 5 })
    const res = await env.post('/v1/chat/completions', {
      model: 'resilient',
      stream: true,
      messages: [{ role: 'user', content: 'cut me' }],
    })
    const text = await res.text()
    expect(res.status).toBe(200)
    expect(text).toContain('"content":"Hello"')
    expect(text).toContain('"code":"stream_interrupted"')
    expect(text).not.toContain('[DONE]')
    const trace = await env.trace(res, 2)
    const [attempt] = clientSpans(trace)
    expect(clientSpans(trace)).toHaveLength(1)
    expect(attempt!.error_type).toBe('stream_interrupted')
    expect(attempt!.output_tokens).toBe(Math.ceil('Hello from'.length / 4))
    expect(attempt!.tokens_estimated).toBe(true)
    expect(attempt!.response_body).toBe('Hello from')
  })

  it('a client that aborts a stream closes the upstream connection within 100 ms; the span is cancelled', async () => {
    env.mock.fault({ model: 'only', chunkDelayMs: 200 })
    const ac = new AbortController()
    const res = await fetch(`${env.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      signal: ac.signal,
      body: JSON.stringify({ model: 'single', stream: true, messages: [{ role: 'user', content: 'abort me' }] }),
    })
    const reader = res.body!.getReader()
    await reader.read()
    const abortedAt = Date.now()
    ac.abort()
    const call = env.mock.calls.at(-1)!
    await new Promise((r) => setTimeout(r, 300))
    expect(call.abortedAt).toBeGreaterThan(0)
    expect(call.abortedAt - abortedAt).toBeLessThan(100)
    const trace = await env.trace(res, 2)
    expect(serverSpan(trace).status).toBe('cancelled')
    expect(clientSpans(trace)[0]!.status).toBe('cancelled')
  })
})

describe('per-request control', () => {
  it('x-tracegate-fallbacks and x-tracegate-retries steer one request; a bad value is a 400 naming the header', async () => {
    env.mock.fault({ model: 'only', status: 500 })
    const { response } = await ask('single', { 'x-tracegate-retries': '1', 'x-tracegate-fallbacks': 'backup/rescue' })
    expect(response.headers.get('x-tracegate-attempts')).toBe('3')
    expect(response.headers.get('x-tracegate-model')).toBe('rescue')
    const err = await ask('single', { 'x-tracegate-retries': 'many' }).catch((e) => e)
    expect(err.status).toBe(400)
    expect(err.error.param).toBe('x-tracegate-retries')
    expect(err.error.message).toMatch(/x-tracegate-retries must be an integer/)
  })
})
