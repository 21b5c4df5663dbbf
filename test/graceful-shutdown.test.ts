import { describe, expect, it } from 'vitest'
import { useSpawnedGateway } from './harness.ts'

const env = useSpawnedGateway((mock) => ({ providers: { openai: { base_url: `${mock.url}/v1` } } }), {
  start: false,
})

describe('SIGTERM', () => {
  it('during 20 open streams: all 20 complete for the client and are recorded, then the process exits 0', async () => {
    const gw = env.spawn()
    const url = await gw.ready()
    let firstChunks = 0
    let signalled!: () => void
    const allStarted = new Promise<void>((r) => (signalled = r))
    const streams = Array.from({ length: 20 }, async (_, i) => {
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-mock-chunk-delay-ms': '150' },
        body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: `stream ${i}` }] }),
      })
      const reader = res.body!.getReader()
      let text = ''
      let first = true
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        text += Buffer.from(value).toString()
        if (first && ++firstChunks === 20) signalled()
        first = false
      }
      const content = [...text.matchAll(/"content":"([^"]*)"/g)].map((m) => m[1]).join('')
      return { id: res.headers.get('x-tracegate-trace-id')!, content, done: text.includes('[DONE]') }
    })
    await allStarted
    gw.child.kill('SIGTERM')
    const results = await Promise.all(streams)
    expect(await gw.exited).toBe(0)
    expect(results.filter((r) => r.done && r.content === 'Hello from the mock upstream.')).toHaveLength(20)

    const again = env.spawn()
    const url2 = await again.ready()
    const counts = await Promise.all(
      results.map(
        async (r) =>
          ((await (await fetch(`${url2}/api/traces/${r.id}`)).json()) as { spans?: unknown[] }).spans?.length ?? 0,
      ),
    )
    again.child.kill('SIGTERM')
    await again.exited
    expect(counts).toEqual(Array(20).fill(2))
  }, 60_000)
})
