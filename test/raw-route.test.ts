import { describe, expect, it } from 'vitest'
import { connect } from 'node:net'
import { errorOf, useGateway } from './harness.ts'

const OPERATOR_KEY = 'sk-operator-raw-route-secret'
const env = useGateway(
  (mock) => ({
    providers: { openai: { base_url: `${mock.url}/v1`, api_key: OPERATOR_KEY } },
    keys: [{ key: 'tg-raw-route-key-1', name: 'raw', team: 'raw' }],
  }),
  { apiKey: 'tg-raw-route-key-1' },
)

/** Raw HTTP, so methods and paths reach the gateway exactly as an attacker would write them. */
function send(method: string, path: string): Promise<{ status: number; head: string; body: string }> {
  const { port } = new URL(env.url)
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), '127.0.0.1')
    let out = ''
    sock.on('data', (d) => (out += d))
    sock.on('error', reject)
    sock.on('close', () => {
      const [head = '', body = ''] = out.split('\r\n\r\n')
      resolve({ status: Number(head.split(' ')[1] ?? 0), head, body })
    })
    sock.write(
      `${method} ${path} HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer tg-raw-route-key-1\r\nconnection: close\r\n\r\n`,
    )
  })
}

describe('/p/{provider}/* methods', () => {
  it('TRACE is refused with 405 and never forwarded (it would echo the provider key back)', async () => {
    const before = env.mock.calls.length
    for (const method of ['TRACE', 'PROPFIND', 'OPTIONS']) {
      const res = await send(method, '/p/openai/models')
      expect([method, res.status]).toEqual([method, 405])
      expect(res.head.toLowerCase()).toContain('allow: get, post, put, patch, delete')
      expect(res.body).not.toContain(OPERATOR_KEY)
      expect(JSON.parse(res.body).error.code).toBe('method_not_allowed')
    }
    expect(env.mock.calls.length).toBe(before)
  })

  it('GET, POST, PUT, PATCH and DELETE are forwarded', async () => {
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      await send(method, '/p/openai/models')
      expect(env.mock.calls.at(-1)!.method).toBe(method)
    }
  })
})

describe('/p/{provider}/* paths', () => {
  it('dot segments and backslashes, in any encoding, are a 400 and reach no upstream', async () => {
    const before = env.mock.calls.length
    for (const path of [
      '/%70/openai/models',
      '/p/%6fpenai/models',
      '/p/openai/%252525252e%252525252e/admin',
      '/p/openai/../admin',
      '/p/openai/a/%2e%2e/admin',
      '/p/openai/%2E./admin',
      '/p/openai/.%2e/admin',
      '/p/openai/%252e%252e/admin',
      '/p/openai/a\\..\\admin',
      '/p/openai/a%5c..%5cadmin',
      '/p/openai/./models',
    ]) {
      const res = await send('GET', path)
      expect([path, res.status]).toEqual([path, 400])
      expect(JSON.parse(res.body).error.code).toBe('invalid_path')
    }
    expect(env.mock.calls.length).toBe(before)
  })

  it('encoded path characters are forwarded still encoded, never turned into path or query syntax', async () => {
    await send('GET', '/p/openai/files/a%2Fb%3Fc')
    expect(env.mock.calls.at(-1)!.url).toBe('/v1/files/a%2Fb%3Fc')
  })

  it('x-tracegate-fallbacks is refused: a provider-specific path means nothing to another provider', async () => {
    const res = await env.post(
      '/p/openai/chat/completions',
      { model: 'gpt-4o', messages: [] },
      { 'x-tracegate-fallbacks': 'openai/gpt-4o-mini' },
    )
    expect(res.status).toBe(400)
    expect((await errorOf(res)).param).toBe('x-tracegate-fallbacks')
  })

  it('a local-service provider (ollama) exists only when configured', async () => {
    const res = await send('GET', '/p/ollama/api/tags')
    expect(res.status).toBe(404)
    expect(JSON.parse(res.body).error.code).toBe('unknown_provider')
  })
})
