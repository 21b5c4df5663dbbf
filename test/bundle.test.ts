import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { useSpawnedGateway, serverSpan, clientSpans } from './harness.ts'
import { startEnv, startFlags } from './start-flags.ts'

/** `npm start` runs the bundle; built here beside the real one, so it finds ui/ the same way. */
const ROOT = join(import.meta.dirname, '..')
const OUT = join(ROOT, 'gateway', 'dist-test')
execFileSync(process.execPath, [join(ROOT, 'gateway/scripts/bundle.mjs'), OUT])
afterAll(() => rmSync(OUT, { recursive: true, force: true }))

const env = useSpawnedGateway((mock) => ({ providers: { openai: { base_url: `${mock.url}/v1` } } }), {
  bundle: join(OUT, 'main.mjs'),
})

describe('the bundled gateway (npm start)', () => {
  it('is one module, its shared chunk, and chunks loaded only when configured: OTLP export and the Redis client', () => {
    expect(existsSync(join(OUT, 'main.mjs'))).toBe(true)
    const modules = readdirSync(OUT).filter((f) => f.endsWith('.mjs'))
    expect(modules.map((f) => f.replace(/-[A-Z0-9]{8}\.mjs$/, '')).sort()).toEqual([
      'chunk',
      'main.mjs',
      'otlp-export',
      'redis-store',
    ])
    // ioredis (~15 MB of RSS) is imported by the Redis chunk alone, never at start.
    const importers = modules.filter((f) => readFileSync(join(OUT, f), 'utf8').includes('from "ioredis"'))
    expect(importers.map((f) => f.replace(/-[A-Z0-9]{8}\.mjs$/, ''))).toEqual(['redis-store'])
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
  it('runs in the image with the node flags and malloc setting npm start gives it (this suite spawns it with them)', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
    const args = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[]
    expect(args).toEqual(['node', ...startFlags(), 'gateway/dist/main.mjs'])
    expect(startFlags()).toEqual(['--initial-old-space-size=128', '--no-allocation-site-pretenuring'])
    expect(startEnv()).toEqual({ MALLOC_MMAP_THRESHOLD_: '1048576' })
    expect(/^ENV .*\bMALLOC_MMAP_THRESHOLD_=(\d+)\b/m.exec(dockerfile)?.[1]).toBe('1048576')
    // glibc reads it once, at the process's start: the running gateway has it in its environment.
    const environ = readFileSync(`/proc/${env.proc.child.pid}/environ`, 'utf8').split('\0')
    expect(environ).toContain('MALLOC_MMAP_THRESHOLD_=1048576')
  })
})
