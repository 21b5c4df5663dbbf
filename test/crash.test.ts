import { describe, expect, it } from 'vitest'
import { Agent, request } from 'undici'
import { useSpawnedGateway } from './harness.ts'

const env = useSpawnedGateway((mock) => ({ providers: { openai: { base_url: `${mock.url}/v1` } } }), {
  start: false,
})

describe('a gateway killed with SIGKILL', () => {
  it('after a restart, every request that completed more than 100 ms before the kill has its spans, none twice', async () => {
    const first = env.spawn(['--config', 'tracegate.yaml'])
    first.child.stdout!.on('data', () => undefined)
    const url = await first.ready()
    const agent = new Agent({ connections: 16 })
    const done: Array<{ id: string; at: number }> = []
    let killedAt = 0
    let next = 0
    const worker = async () => {
      while (next < 2000 && !killedAt) {
        const i = next++
        try {
          const res = await request(`${url}/v1/chat/completions`, {
            method: 'POST',
            dispatcher: agent,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: `crash ${i}` }] }),
          })
          await res.body.json()
          if (res.statusCode === 200) done.push({ id: String(res.headers['x-tracegate-trace-id']), at: Date.now() })
        } catch {
          // requests in flight at the kill fail; they are not in the ledger
        }
        if (done.length === 1000 && !killedAt) {
          killedAt = Date.now()
          first.child.kill('SIGKILL')
        }
      }
    }
    await Promise.all(Array.from({ length: 16 }, worker))
    await first.exited
    await agent.close()
    const mustHave = done.filter((d) => d.at < killedAt - 100)
    expect(mustHave.length).toBeGreaterThan(500)

    const second = env.spawn(['--config', 'tracegate.yaml'])
    const url2 = await second.ready()
    const until = Date.now() + 60_000
    for (;;) {
      const ready = (await (await fetch(`${url2}/readyz`)).json()) as { spans: { spool_segments: number } }
      if (ready.spans.spool_segments === 0 || Date.now() > until) break
      await new Promise((r) => setTimeout(r, 200))
    }
    const missing: string[] = []
    const doubled: string[] = []
    for (let i = 0; i < mustHave.length; i += 25) {
      await Promise.all(
        mustHave.slice(i, i + 25).map(async ({ id }) => {
          const res = await fetch(`${url2}/api/traces/${id}`)
          if (res.status !== 200) return void missing.push(id)
          const n = ((await res.json()) as { spans: unknown[] }).spans.length
          if (n < 2) missing.push(id)
          if (n > 2) doubled.push(id)
        }),
      )
    }
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)
    expect({ missing: missing.length, doubled: doubled.length }).toEqual({ missing: 0, doubled: 0 })
  }, 120_000)
})
