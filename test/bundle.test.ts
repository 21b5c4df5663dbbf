import { execFileSync } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { useSpawnedGateway, serverSpan, clientSpans } from './harness.ts'

/** `npm start` runs the bundle; built here beside the real one, so it finds ui/ the same way. */
const ROOT = join(import.meta.dirname, '..')
const OUT = join(ROOT, 'gateway', 'dist-test')
execFileSync(process.execPath, [join(ROOT, 'gateway/scripts/bundle.mjs'), OUT])
afterAll(() => rmSync(OUT, { recursive: true, force: true }))

const env = useSpawnedGateway((mock) => ({ providers: { openai: { base_url: `${mock.url}/v1` } } }), {
  bundle: join(OUT, 'main.mjs'),
})

describe('the bundled gateway (npm start)', () => {
  it('is one module plus a lazily loaded chunk for OTLP export', () => {
    expect(existsSync(join(OUT, 'main.mjs'))).toBe(true)
    expect(
      execFileSync('ls', [OUT])
        .toString()
        .split('\n')
        .filter((f) => f.endsWith('.mjs')).length,
    ).toBe(2)
  })

  it('proxies an SDK call, records both spans with their tokens, and serves the explorer', async () => {
    const { data, response } = await env
      .openai('sk-bundle')
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
    expect(data.choices[0]!.message.content).toBe('Hello from the mock upstream.')
    const trace = await env.trace(response)
    expect(trace.spans).toHaveLength(2)
    expect(serverSpan(trace).status).toBe('ok')
    const usage = env.mock.calls.at(-1)!.usage!
    expect(clientSpans(trace)[0]!.input_tokens).toBe(usage.prompt_tokens)
    expect(clientSpans(trace)[0]!.output_tokens).toBe(usage.completion_tokens)
    const page = await fetch(`${env.url}/`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<title>tracegate</title>')
  })
})
