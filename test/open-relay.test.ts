import { describe, expect, it } from 'vitest'
import { useGateway, serverSpan } from './harness.ts'

const OPERATOR_KEY = 'sk-operator-key-never-for-anonymous-callers'

/** The operator configured provider keys but no gateway keys: bring-your-own-key callers only. */
const env = useGateway((mock) => ({
  providers: {
    openai: { base_url: `${mock.url}/v1`, api_key: OPERATOR_KEY },
    groq: { base_url: `${mock.url}/groq/v1` }, // no key in config: stays open, the caller's own key or none
  },
  models: [
    {
      name: 'groq-then-openai',
      retries: 0,
      targets: [
        { provider: 'groq', model: 'g-model' },
        { provider: 'openai', model: 'o-model' },
      ],
    },
  ],
}))

const operatorKeySent = () => env.mock.calls.some((c) => JSON.stringify(c.headers).includes(OPERATOR_KEY))

describe('no open relay on the operator keys', () => {
  it('a caller without any key is refused with 401 and nothing reaches the provider', async () => {
    const before = env.mock.calls.length
    const res = await env.post('/v1/chat/completions', {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'free tokens please' }],
    })
    expect(res.status).toBe(401)
    const body = (await res.json()) as { error: { code: string; type: string } }
    expect([body.error.code, body.error.type]).toEqual(['missing_api_key', 'authentication_error'])
    expect(env.mock.calls.length).toBe(before)
    const raw = await env.post('/p/openai/chat/completions', { model: 'gpt-4o', messages: [] })
    expect(raw.status).toBe(401)
    expect(env.mock.calls.length).toBe(before)
    expect(operatorKeySent()).toBe(false)
  })

  it('GET /v1/models for an anonymous caller does not list the provider models with the operator key', async () => {
    const res = await fetch(`${env.url}/v1/models`)
    expect(res.status).toBe(200)
    expect(operatorKeySent()).toBe(false)
  })

  it('a caller with its own key is forwarded with that key, never the operator one', async () => {
    const client = env.openai('sk-caller-own-key-123456')
    const { response } = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
    expect(env.mock.calls.at(-1)!.headers.authorization).toBe('Bearer sk-caller-own-key-123456')
    expect(operatorKeySent()).toBe(false)
    expect(serverSpan(await env.trace(response)).status).toBe('ok')
  })

  it("a caller's own key goes only to the provider it called, never to a fallback of another provider", async () => {
    env.mock.fault({ model: 'g-model', status: 503, times: 1 })
    const res = await env.chat('groq-then-openai', { authorization: 'Bearer gsk-callers-groq-key-0001' })
    const [groq, openai] = env.mock.calls.slice(-2)
    expect([groq!.path, groq!.headers.authorization]).toEqual([
      '/groq/v1/chat/completions',
      'Bearer gsk-callers-groq-key-0001',
    ])
    expect([openai!.path, openai!.headers.authorization]).toEqual(['/v1/chat/completions', undefined])
    expect(res.headers.get('x-tracegate-attempts')).toBe('2')
    expect(operatorKeySent()).toBe(false)
  })

  it('a provider with no key in config stays open to anonymous callers (the provider decides)', async () => {
    const res = await env.chat('groq/llama-3.3-70b-versatile')
    expect(res.status).toBe(200)
    expect(env.mock.calls.at(-1)!.path).toBe('/groq/v1/chat/completions')
    expect(env.mock.calls.at(-1)!.headers.authorization).toBeUndefined()
  })
})
