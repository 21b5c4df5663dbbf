import { describe, expect, it } from 'vitest'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { useSpawnedGateway } from './harness.ts'
import type { TraceResponse } from '@tracegate/schemas'

// No tracegate.yaml: each test writes the config it is about.
const env = useSpawnedGateway(null, { start: false })
const { dir } = env

describe('the tracegate process', () => {
  it('a config naming an unknown provider exits 2 with one line per problem, naming its path', async () => {
    const file = join(dir, 'bad.yaml')
    writeFileSync(
      file,
      [
        'models:',
        '  - name: smart',
        '    targets:',
        '      - { provider: openai, model: gpt-4o }',
        '  - name: broken',
        '    retries: -1',
        '    targets:',
        '      - { provider: opnai, model: gpt-4o }',
      ].join('\n'),
    )
    const run = env.spawn(['--config', file])
    expect(await run.exited).toBe(2)
    const lines = run.err().trim().split('\n')
    expect(lines).toContain('config error: models[1].targets[0].provider: unknown provider "opnai"')
    expect(lines.some((l) => l.startsWith('config error: models[1].retries:'))).toBe(true)
    expect(lines).toHaveLength(2)
  })

  it('starts from tracegate.yaml in its directory, serves, and on SIGTERM writes its spans and exits 0', async () => {
    // Anonymous callers on the operator's key: allowed only when said so, and warned about at every start.
    writeFileSync(
      join(dir, 'tracegate.yaml'),
      `providers:\n  openai: { base_url: "${env.mock.url}/v1", api_key: "\${MY_KEY}" }\nauth: { allow_anonymous: true }\nstorage: { flush_ms: 1000 }\n`,
    )
    const run = env.spawn([], { MY_KEY: 'sk-from-env' })
    const url = await run.ready()
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [] }),
    })
    expect(res.status).toBe(200)
    expect(env.mock.calls.at(-1)!.headers.authorization).toBe('Bearer sk-from-env')
    expect(run.out()).toContain('auth.allow_anonymous is on')
    run.child.kill('SIGTERM')
    expect(await run.exited).toBe(0)
    expect(run.out()).toContain('shutting down')

    // Restarted on the same data dir, the span written at shutdown is there.
    const again = env.spawn([], { MY_KEY: 'x' })
    const url2 = await again.ready()
    const trace = (await (
      await fetch(`${url2}/api/traces/${res.headers.get('x-tracegate-trace-id')}`)
    ).json()) as TraceResponse
    expect(trace.spans).toHaveLength(2)
    expect(again.out()).toContain('auth.allow_anonymous is on')
    again.child.kill('SIGTERM')
    expect(await again.exited).toBe(0)
  })
})
