import { afterAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { useGateway, clientSpans } from './harness.ts'

interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  attributes: Array<{ key: string; value: Record<string, unknown> }>
}

let receiver: Server
const received: OtlpSpan[] = []

const attr = (s: OtlpSpan, key: string) => {
  const v = s.attributes.find((a) => a.key === key)?.value
  return v
    ? v.intValue !== undefined
      ? Number(v.intValue)
      : (v.stringValue ?? v.doubleValue ?? v.boolValue)
    : undefined
}

const env = useGateway((mock) => ({ providers: { openai: { base_url: `${mock.url}/v1` } } }), {
  // The receiver listens before the gateway starts, which reads its address from the environment.
  beforeStart: async () => {
    receiver = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        const doc = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> }
        for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) received.push(...ss.spans)
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      })
    })
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
  },
  env: () => ({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}` }),
})
afterAll(() => {
  receiver.closeAllConnections()
  receiver.close()
})

describe('OpenTelemetry export', () => {
  it('an OTLP/HTTP receiver gets the same spans, with gen_ai.* attributes', async () => {
    const client = env.openai('sk-otlp')
    const { response } = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'export me' }] })
      .withResponse()
    const traceId = response.headers.get('x-tracegate-trace-id')!
    const trace = await env.trace(traceId)
    const until = Date.now() + 10_000
    while (received.filter((s) => s.traceId === traceId).length < 2 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50))
    const spans = received.filter((s) => s.traceId === traceId)
    expect(spans).toHaveLength(2)
    const exported = spans.find((s) => s.spanId === clientSpans(trace)[0]!.span_id)!
    expect(exported.name).toBe('chat gpt-4o')
    expect(exported.kind).toBe(3) // CLIENT in OTLP's enum
    expect(attr(exported, 'gen_ai.operation.name')).toBe('chat')
    expect(attr(exported, 'gen_ai.provider.name')).toBe('openai')
    expect(attr(exported, 'gen_ai.usage.input_tokens')).toBe(env.mock.calls.at(-1)!.usage!.prompt_tokens)
    expect(attr(exported, 'gen_ai.response.model')).toBe('gpt-4o-2024-08-06')
  })

  it('with the receiver down, requests still succeed at normal latency', async () => {
    receiver.closeAllConnections()
    await new Promise((r) => receiver.close(r))
    const client = env.openai('sk-otlp')
    const times: number[] = []
    for (let i = 0; i < 30; i++) {
      const t = performance.now()
      const res = await client.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: `down ${i}` }],
      })
      times.push(performance.now() - t)
      expect(res.choices[0]!.finish_reason).toBe('stop')
      await new Promise((r) => setTimeout(r, 20))
    }
    times.sort((a, b) => a - b)
    expect(times[Math.floor(times.length / 2)]!).toBeLessThan(50)
    expect(times.at(-1)!).toBeLessThan(250)
  })
})
