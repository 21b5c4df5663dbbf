import { describe, expect, it } from 'vitest'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { BUILTIN_PROVIDERS } from '@tracegate/schemas'
import { useSpawnedGateway } from './harness.ts'

/** The gateway as deployed: off loopback it needs an admin token; keys come from the environment. */
const env = useSpawnedGateway((mock) => ({ providers: { openai: { base_url: `${mock.url}/v1` } } }), {
  start: false,
})

describe('listening beyond loopback', () => {
  it('without an admin token the gateway refuses to start (exit 2, one line saying why)', async () => {
    const run = env.spawn([], { HOST: '0.0.0.0' })
    expect(await run.exited).toBe(2)
    expect(run.err().trim()).toMatch(
      /^config error: server\.host: 0\.0\.0\.0 is reachable from other machines and TRACEGATE_ADMIN_TOKEN is not set/,
    )
  })

  it('--insecure starts it anyway, with a warning', async () => {
    const run = env.spawn(['--insecure'], { HOST: '0.0.0.0' })
    await run.ready()
    expect(run.out()).toContain('INSECURE: listening beyond loopback without an admin token')
    run.child.kill('SIGTERM')
    expect(await run.exited).toBe(0)
  })

  it('with an admin token it starts and the explorer API asks for it', async () => {
    const run = env.spawn([], { HOST: '0.0.0.0', TRACEGATE_ADMIN_TOKEN: 'exposure-admin' })
    const url = await run.ready()
    expect((await fetch(`${url.replace('0.0.0.0', '127.0.0.1')}/api/traces`)).status).toBe(401)
    run.child.kill('SIGTERM')
    expect(await run.exited).toBe(0)
  })
})

describe('provider keys from the environment', () => {
  it('OPENAI_API_KEY configures openai when the config names no key; gateway-key callers spend it', async () => {
    writeFileSync(
      join(env.dir, 'keys.yaml'),
      `providers:\n  openai: { base_url: "${env.mock.url}/v1" }\nkeys:\n  - { key: tg-exposure-key-1, name: ops, team: ops }\n`,
    )
    const run = env.spawn(['--config', 'keys.yaml'], { OPENAI_API_KEY: 'sk-from-the-environment' })
    const url = await run.ready()
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer tg-exposure-key-1' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
    })
    expect(res.status).toBe(200)
    expect(env.mock.calls.at(-1)!.headers.authorization).toBe('Bearer sk-from-the-environment')
    expect(run.out()).toContain('provider keys taken from the environment')
    expect(run.out()).not.toContain('sk-from-the-environment')
    run.child.kill('SIGTERM')
    expect(await run.exited).toBe(0)
  })
})

describe('docker-compose.yml', () => {
  const compose = parseYaml(readFileSync(join(import.meta.dirname, '..', 'docker-compose.yml'), 'utf8'))
  const environment = compose.services.gateway.environment as Record<string, string>

  it('refuses to start without TRACEGATE_ADMIN_TOKEN (${VAR:?message}), never defaulting it to empty', () => {
    expect(environment.TRACEGATE_ADMIN_TOKEN).toMatch(/^\$\{TRACEGATE_ADMIN_TOKEN:\?[^}]+\}$/)
  })

  it('passes every built-in provider key variable through to the gateway', () => {
    const vars = Object.values(BUILTIN_PROVIDERS)
      .map((d) => d.keyEnv)
      .filter((v): v is string => Boolean(v))
    for (const v of vars) expect([v, environment[v]]).toEqual([v, `\${${v}:-}`])
  })
})
