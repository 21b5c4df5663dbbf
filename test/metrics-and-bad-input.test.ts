import { describe, expect, it } from 'vitest'
import { connect } from 'node:net'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { errorOf, useGateway } from './harness.ts'

const env = useGateway((mock) => ({
  providers: { openai: { base_url: `${mock.url}/v1` } },
  server: { host: '127.0.0.1', port: 0, request_timeout_ms: 1000 },
  max_request_bytes: 100_000,
}))

/** Send raw bytes on a fresh connection and return what came back (first line and body). */
function raw(bytes: Buffer | string, { trickleMs = 0 } = {}): Promise<string> {
  const { port } = new URL(env.url)
  return new Promise((resolve) => {
    const sock = connect(Number(port), '127.0.0.1')
    let out = ''
    sock.on('data', (d) => (out += d))
    sock.on('close', () => resolve(out))
    sock.on('error', () => resolve(out))
    sock.write(bytes)
    if (trickleMs) {
      const t = setInterval(() => (sock.destroyed ? clearInterval(t) : sock.write('x')), trickleMs)
      sock.on('close', () => clearInterval(t))
    } else setTimeout(() => sock.end(), 500)
  })
}

const post = (body: string | Uint8Array) => env.post('/v1/chat/completions', body)

describe('/metrics', () => {
  it('parses as Prometheus text and counts exactly the traffic sent', async () => {
    const client = env.openai('sk-metrics')
    for (let i = 0; i < 5; i++)
      await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: `m${i}` }] })
    for (let i = 0; i < 2; i++)
      await client.chat.completions
        .create(
          { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] },
          { headers: { 'x-mock-status': '503' } },
        )
        .catch(() => undefined)
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      messages: [{ role: 'user', content: 's' }],
    })
    for await (const _ of stream) {
      /* drain */
    }
    const usage = env.mock.calls.filter((c) => c.usage).map((c) => c.usage!)
    await new Promise((r) => setTimeout(r, 100))
    const res = await fetch(`${env.url}/metrics`)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    const text = await res.text()
    const families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]))
    const value = (name: string, labels: Record<string, string>) =>
      families
        .get(name)
        ?.metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
        .reduce((s, m) => s + Number(m.value ?? m.count), 0)
    expect(value('tracegate_requests_total', { route: '/v1/chat/completions', status: '2xx' })).toBe(6)
    expect(value('tracegate_requests_total', { route: '/v1/chat/completions', status: '5xx' })).toBe(2)
    expect(value('tracegate_upstream_attempts_total', { provider: 'openai', error_type: '503' })).toBe(2)
    expect(value('tracegate_tokens_total', { type: 'input' })).toBe(usage.reduce((s, u) => s + u.prompt_tokens!, 0))
    // The parser merges labelled histogram series, so their observation counts are read from the `_count` lines.
    const observations = (name: string) =>
      [...text.matchAll(new RegExp(`^${name}_count\\{[^}]*\\} (\\d+)$`, 'gm'))].reduce((s, m) => s + Number(m[1]), 0)
    expect(families.get('gen_ai_client_operation_duration_seconds')?.type).toBe('HISTOGRAM')
    expect(observations('gen_ai_client_operation_duration_seconds')).toBe(8)
    expect(observations('gen_ai_server_time_to_first_token_seconds')).toBe(1)
    expect(value('tracegate_cost_usd_total', { provider: 'openai' })).toBeGreaterThan(0)
    expect(families.get('tracegate_spool_bytes')?.type).toBe('GAUGE')
    expect(families.has('nodejs_eventloop_lag_seconds')).toBe(true)
  })
})

describe('bad input', () => {
  it('each gets a clear error and the process keeps serving', async () => {
    const truncated = await post('{"model":"gpt-4o","messages":[{"role":"us')
    expect([truncated.status, (await errorOf(truncated)).code]).toEqual([400, 'invalid_json'])

    const tooBig = await post(
      JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(200_000) }] }),
    )
    expect([tooBig.status, (await errorOf(tooBig)).code]).toEqual([413, 'request_too_large'])

    const badUtf8 = await post(
      Buffer.concat([
        Buffer.from('{"model":"gpt-4o","messages":[{"role":"user","content":"'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}]}'),
      ]),
    )
    const badUtf8Error = await errorOf(badUtf8)
    expect([badUtf8.status, badUtf8Error.code]).toEqual([400, 'invalid_json'])
    expect(badUtf8Error.message).toMatch(/UTF-8/)

    const huge = await raw(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: localhost\r\nx-big: ${'a'.repeat(20_000)}\r\ncontent-length: 2\r\n\r\n{}`,
    )
    expect(huge.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large')
    expect(JSON.parse(huge.split('\r\n\r\n')[1]!).error.code).toBe('headers_too_large')

    const dupLength = await raw(
      'POST /v1/chat/completions HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}',
    )
    expect(dupLength.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request')
    expect(JSON.parse(dupLength.split('\r\n\r\n')[1]!).error.code).toBe('malformed_http')

    const unknown = await fetch(`${env.url}/v2/whatever`, { method: 'POST' })
    expect([unknown.status, (await errorOf(unknown)).code]).toEqual([404, 'not_found'])

    const started = Date.now()
    const slow = await raw(
      'POST /v1/chat/completions HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{',
      { trickleMs: 100 },
    )
    expect(slow.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout')
    expect(JSON.parse(slow.split('\r\n\r\n')[1]!).error.code).toBe('request_timeout')
    expect(Date.now() - started).toBeLessThan(5000)

    const after = await post(JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'still here?' }] }))
    expect(after.status).toBe(200)
    expect((await fetch(`${env.url}/healthz`)).status).toBe(200)
  })
})
