import { afterEach, describe, expect, it, vi } from 'vitest'
import { useGateway, serverSpan, clientSpans } from './harness.ts'

const env = useGateway(
  (mock) => ({
    providers: {
      openai: { base_url: `${mock.url}/v1` },
      backup: { type: 'openai-compatible', base_url: `${mock.url}/backup/v1` },
      anthropic: { base_url: mock.url },
      // Configured with the /v1 that Anthropic's own docs put in base URLs.
      'claude-backup': { type: 'anthropic', base_url: `${mock.url}/cb/v1` },
    },
    models: [
      {
        name: 'flip',
        retries: 0,
        cooldown: { failures: 1, window_ms: 60_000, duration_ms: 300 },
        targets: [
          { provider: 'openai', model: 'flip-a' },
          { provider: 'backup', model: 'flip-b' },
        ],
      },
      {
        name: 'answered-by-backup',
        retries: 0,
        targets: [
          { provider: 'openai', model: 'ab-primary' },
          { provider: 'backup', model: 'ab-secondary' },
        ],
      },
      {
        name: 'short-deadline',
        retries: 1,
        timeout_ms: 3000,
        targets: [
          { provider: 'openai', model: 'sd-primary' },
          { provider: 'backup', model: 'sd-backup' },
        ],
      },
      {
        name: 'probed',
        retries: 0,
        cooldown: { failures: 1, window_ms: 60_000, duration_ms: 200 },
        targets: [
          { provider: 'openai', model: 'pr-a' },
          { provider: 'backup', model: 'pr-b' },
        ],
      },
    ],
  }),
  { apiKey: 'sk-routing' },
)
afterEach(() => {
  vi.restoreAllMocks()
})

const messages = (model: string, headers: Record<string, string> = {}) =>
  env.post('/v1/messages', { model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, headers)

describe('cooldowns admit a target only when it is tried', () => {
  it('after both targets cooled down and the primary recovered, the fallback still answers the next failure', async () => {
    env.mock.fault({ model: 'flip-a', status: 500, times: 1 })
    env.mock.fault({ model: 'flip-b', status: 500, times: 1 })
    expect((await env.chat('flip')).status).toBe(500) // both fail: both cool down
    await new Promise((r) => setTimeout(r, 350))
    const recovered = await env.chat('flip') // both cooldowns are over: the primary is probed and answers
    expect([recovered.status, recovered.headers.get('x-tracegate-model')]).toEqual([200, 'flip-a'])
    env.mock.fault({ model: 'flip-a', status: 500, times: 1 })
    const res = await env.chat('flip')
    expect(res.status).toBe(200)
    expect(res.headers.get('x-tracegate-model')).toBe('flip-b')
    expect(res.headers.get('x-tracegate-attempts')).toBe('2')
  })
})

describe('retries within the deadline', () => {
  it('a Retry-After longer than the time left moves on to the fallback instead of answering 504', async () => {
    env.mock.fault({ model: 'sd-primary', status: 429, retryAfter: '5', times: 1 })
    const res = await env.chat('short-deadline')
    expect(res.status).toBe(200)
    expect(res.headers.get('x-tracegate-model')).toBe('sd-backup')
    expect(res.headers.get('x-tracegate-attempts')).toBe('2')
  })
})

describe('a half-open probe', () => {
  it('is settled by its response headers: while the probe streams, other requests use the recovered target', async () => {
    env.mock.fault({ model: 'pr-a', status: 500, times: 1 })
    expect((await env.chat('probed')).headers.get('x-tracegate-model')).toBe('pr-b') // pr-a cools down
    await new Promise((r) => setTimeout(r, 250))
    env.mock.fault({ model: 'pr-a', chunkDelayMs: 150, times: 1 })
    const probe = env.post('/v1/chat/completions', {
      model: 'probed',
      stream: true,
      messages: [{ role: 'user', content: 'slow probe' }],
    })
    const probeRes = await probe
    expect(probeRes.headers.get('x-tracegate-model')).toBe('pr-a')
    const during = await env.chat('probed') // the probe is still streaming (6 chunks x 150 ms)
    expect(during.headers.get('x-tracegate-model')).toBe('pr-a')
    await probeRes.text()
  })
})

describe('fallbacks speak the request wire format', () => {
  it('an Anthropic request refuses an OpenAI-wire fallback with a 400 naming the target, before calling anyone', async () => {
    const before = env.mock.calls.length
    const res = await messages('claude-sonnet-4-6', { 'x-tracegate-fallbacks': 'openai/gpt-4o' })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('unsupported_route_for_provider')
    expect(body.error.message).toContain('"openai/gpt-4o"')
    expect(env.mock.calls.length).toBe(before)
  })

  it("a bare model name in x-tracegate-fallbacks on /v1/messages resolves to Anthropic, like the body's model", async () => {
    env.mock.fault({ model: 'claude-sonnet-4-6', status: 529, times: 1 })
    const res = await messages('claude-sonnet-4-6', { 'x-tracegate-fallbacks': 'claude-haiku-4-5' })
    expect(res.status).toBe(200)
    expect([res.headers.get('x-tracegate-provider'), res.headers.get('x-tracegate-model')]).toEqual([
      'anthropic',
      'claude-haiku-4-5',
    ])
  })

  it('an Anthropic-wire fallback is reached at /v1/messages even when its base URL ends in /v1', async () => {
    env.mock.fault({ model: 'claude-sonnet-4-6', status: 529, times: 1 })
    const res = await messages('claude-sonnet-4-6', { 'x-tracegate-fallbacks': 'claude-backup/claude-haiku-4-5' })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-tracegate-provider')).toBe('claude-backup')
    expect(env.mock.calls.at(-1)!.path).toBe('/cb/v1/messages')
    const direct = await messages('claude-backup/claude-haiku-4-5')
    expect(direct.status).toBe(200)
    expect(env.mock.calls.at(-1)!.path).toBe('/cb/v1/messages')
  })
})

describe('one monotonic clock', () => {
  it('a wall clock that jumps an hour ahead mid-request does not time the request out; span times follow the wall clock', async () => {
    const realNow = Date.now.bind(Date)
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 3_600_000)
    const res = await env.chat('flip')
    const wall = Date.now()
    vi.restoreAllMocks()
    expect(res.status).toBe(200)
    expect(res.headers.get('x-tracegate-attempts')).toBe('1')
    const trace = await env.trace(res)
    expect(Math.abs(Date.parse(serverSpan(trace).start_time) - wall)).toBeLessThan(5_000)
  })
})

describe('tracegate.fell_back', () => {
  it('is true when the fallback target answered, even with an error of its own', async () => {
    env.mock.fault({ model: 'ab-primary', status: 503, times: 1 })
    env.mock.fault({
      model: 'ab-secondary',
      status: 400,
      times: 1,
      body: { error: { message: 'bad request at the backup', type: 'invalid_request_error', param: null, code: null } },
    })
    const res = await env.chat('answered-by-backup')
    expect(res.status).toBe(400)
    expect(res.headers.get('x-tracegate-provider')).toBe('backup')
    const trace = await env.trace(res, 3)
    expect(serverSpan(trace).attributes['tracegate.fell_back']).toBe('true')
    expect(clientSpans(trace).find((s) => s.attempt === 2)!.attributes['tracegate.is_fallback']).toBe('true')
  })

  it('is false when the first target answered', async () => {
    const res = await env.chat('answered-by-backup')
    const trace = await env.trace(res, 2)
    expect(serverSpan(trace).attributes['tracegate.fell_back']).toBe('false')
  })
})
