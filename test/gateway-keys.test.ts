import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import OpenAI from 'openai'
import { startMockUpstream, type MockUpstream } from './mock-upstream.ts'
import { startTestGateway, waitForTrace, serverSpan, type TestGateway } from './helpers.ts'

let mock: MockUpstream
let gw: TestGateway

beforeAll(async () => {
  mock = await startMockUpstream()
  gw = await startTestGateway({
    providers: { openai: { base_url: `${mock.url}/v1`, api_key: '${TEST_OPENAI_KEY}' } },
    keys: [
      { key: 'tg-growth-key-0001', name: 'growth-backend', team: 'growth' },
      { key: 'tg-search-key-0002', name: 'search-batch', team: 'search' },
    ],
  }, { TEST_OPENAI_KEY: 'sk-provider-key-from-config' })
})
afterAll(async () => {
  await gw?.stop()
  await mock?.close()
})

describe('gateway keys', () => {
  it('a gateway key is swapped for the provider key from config, and its name and team recorded', async () => {
    const client = new OpenAI({ apiKey: 'tg-growth-key-0001', baseURL: `${gw.url}/v1`, maxRetries: 0 })
    const { response } = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).withResponse()
    expect(mock.calls.at(-1)!.headers.authorization).toBe('Bearer sk-provider-key-from-config')
    const req = serverSpan(await waitForTrace(gw.url, response.headers.get('x-tracegate-trace-id')!))
    expect(req.key_name).toBe('growth-backend')
    expect(req.team).toBe('growth')
  })

  it('an unknown key is refused with 401 before anything reaches the provider', async () => {
    const before = mock.calls.length
    const client = new OpenAI({ apiKey: 'sk-not-a-gateway-key', baseURL: `${gw.url}/v1`, maxRetries: 0 })
    const err = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError)
    expect(err.status).toBe(401)
    expect(err.code).toBe('invalid_api_key')
    expect(mock.calls.length).toBe(before)
  })
})
