import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { ApiKey, ApiTeam } from '@tracegate/schemas'
import { errorOf, useGateway } from './harness.ts'

/**
 * Gateway keys and teams made through the admin API: the secret is shown once and only its hash is
 * kept, a change takes effect without a restart (on another replica within seconds), config keys
 * stay read-only, and every refusal is the same error shape as for config keys.
 */
const TOKEN = 'keys-admin-token'
const CONFIG_KEY = 'tg-config-key-0001'
const env = useGateway(
  (mock) => ({
    providers: { openai: { base_url: `${mock.url}/v1` } },
    keys: [{ key: CONFIG_KEY, name: 'from-config', team: 'ops' }],
  }),
  { adminToken: TOKEN },
)

const admin = (method: string, path: string, body?: unknown) =>
  fetch(`${env.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
const chat = (key: string) =>
  env.post(
    '/v1/chat/completions',
    { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 },
    { authorization: `Bearer ${key}` },
  )

let made: ApiKey

describe('keys API', () => {
  it('makes a key whose secret is shown once and works at once; the list shows its hint, never the secret', async () => {
    const res = await admin('POST', '/api/keys', {
      name: 'ci-bot',
      team: 'growth',
      rpm: 100,
      metadata: { owner: 'ci' },
    })
    expect(res.status).toBe(201)
    made = (await res.json()) as ApiKey
    expect(made.key).toMatch(/^tg-[A-Za-z0-9_-]{32}$/)
    expect([made.name, made.team, made.rpm, made.source, made.hint]).toEqual([
      'ci-bot',
      'growth',
      100,
      'api',
      `…${made.key!.slice(-4)}`,
    ])
    expect((await chat(made.key!)).status).toBe(200)
    const list = (await (await admin('GET', '/api/keys')).json()) as { keys: ApiKey[] }
    expect(list.keys.map((k) => [k.name, k.source, 'key' in k])).toEqual([
      ['from-config', 'config', false],
      ['ci-bot', 'api', false],
    ])
    const rs = await env.gw.store.client.query({
      query: `SELECT Spec FROM ${env.gw.store.database}.api_keys`,
      format: 'JSONEachRow',
    })
    const stored = (await rs.json<{ Spec: string }>()).map((r) => r.Spec).join('\n')
    expect(stored).not.toContain(made.key!)
    expect(stored).toContain(createHash('sha256').update(made.key!).digest('hex'))
  })

  it('a change takes effect on the next request; a rotated key drops the old secret; a revoked key is 401', async () => {
    // One request of this minute is already counted: rpm 2 leaves room for one more.
    const patched = await admin('PATCH', `/api/keys/${made.id}`, { rpm: 2, metadata: null })
    expect(patched.status).toBe(200)
    expect(((await patched.json()) as ApiKey).rpm).toBe(2)
    const after = (await (await admin('GET', `/api/keys/${made.id}`)).json()) as ApiKey
    // Only what the patch named changed: the team and the budget period stay.
    expect([after.metadata, after.team, after.budget_period]).toEqual([{}, 'growth', 'month'])
    expect((await chat(made.key!)).status).toBe(200)
    const limited = await chat(made.key!)
    expect(limited.status).toBe(429)
    expect((await errorOf(limited)).message).toContain('key ci-bot: 2 requests per minute')

    const rotated = (await (await admin('POST', `/api/keys/${made.id}/rotate`)).json()) as ApiKey
    expect(rotated.key).not.toBe(made.key)
    expect((await errorOf(await chat(made.key!))).code).toBe('invalid_api_key')
    await admin('PATCH', `/api/keys/${made.id}`, { rpm: null })
    expect((await chat(rotated.key!)).status).toBe(200)

    expect(await (await admin('DELETE', `/api/keys/${made.id}`)).json()).toEqual({ id: made.id, revoked: true })
    const revoked = await chat(rotated.key!)
    expect(revoked.status).toBe(401)
    expect((await errorOf(revoked)).code).toBe('invalid_api_key')
    expect((await admin('GET', `/api/keys/${made.id}`)).status).toBe(404)
  })

  it('config keys are read-only; bad input is a 400 naming the field', async () => {
    const config = ((await (await admin('GET', '/api/keys')).json()) as { keys: ApiKey[] }).keys[0]!
    const edit = await admin('PATCH', `/api/keys/${config.id}`, { rpm: 5 })
    expect(edit.status).toBe(400)
    expect((await errorOf(edit)).message).toContain('declared in the config file')
    for (const [bad, field] of [
      [{ name: 'x', budget_usd: -1 }, 'budget_usd'],
      [{ name: 'bad/name' }, 'name'],
      [{ name: 'x', colour: 'red' }, 'colour'],
      [{ name: 'from-config' }, 'name'],
      [{ name: 'x', budget_period: 'year' }, 'budget_period'],
    ] as const) {
      const res = await admin('POST', '/api/keys', bad)
      expect(res.status, JSON.stringify(bad)).toBe(400)
      expect((await errorOf(res)).param, JSON.stringify(bad)).toBe(field)
    }
    expect((await admin('PATCH', '/api/keys/not-an-id', {})).status).toBe(400)
  })

  it('a patch that would leave a key or a team without a name is a 400 naming it, not a storage failure', async () => {
    const key = (await (await admin('POST', '/api/keys', { name: 'nameless' })).json()) as ApiKey
    const res = await admin('PATCH', `/api/keys/${key.id}`, { name: null })
    expect(res.status).toBe(400)
    expect(await errorOf(res)).toMatchObject({ code: 'invalid_request', param: 'name' })
    expect(((await (await admin('GET', `/api/keys/${key.id}`)).json()) as ApiKey).name).toBe('nameless')
    await admin('DELETE', `/api/keys/${key.id}`)
  })

  it('the secret is never in the gateway log', async () => {
    expect(env.gw.logs.join('\n')).not.toContain(made.key!)
  })
})

describe('teams API', () => {
  it('a team made through the API carries its budget for every key of the team', async () => {
    const team = await admin('POST', '/api/teams', { name: 'data', budget_usd: 0.00001, budget_period: 'month' })
    expect(team.status).toBe(201)
    expect(((await team.json()) as ApiTeam).source).toBe('api')
    const key = (await (await admin('POST', '/api/keys', { name: 'data-job', team: 'data' })).json()) as ApiKey
    const refused = await chat(key.key!)
    expect(refused.status).toBe(429)
    expect((await errorOf(refused)).message).toContain('budget exceeded for team data')
    expect((await admin('PATCH', '/api/teams/data', { budget_usd: null })).status).toBe(200)
    expect((await chat(key.key!)).status).toBe(200)
    const unnamed = await admin('PATCH', '/api/teams/data', { name: null })
    expect(unnamed.status).toBe(400)
    expect(await errorOf(unnamed)).toMatchObject({ code: 'invalid_request', param: 'name' })
    expect(await (await admin('DELETE', '/api/teams/data')).json()).toEqual({ name: 'data', deleted: true })
    expect((await admin('GET', '/api/teams/data')).status).toBe(404)
  })

  it('a key written by another replica works here within 5 seconds; stored keys survive a restart', async () => {
    const secret = 'tg-written-by-another-replica-0001'
    await env.gw.store.client.insert({
      table: `${env.gw.store.database}.api_keys`,
      values: [
        {
          Id: 'k0123456789abcde',
          Version: Date.now() * 1000,
          Deleted: false,
          Spec: JSON.stringify({
            name: 'elsewhere',
            team: '',
            user: '',
            budget_period: 'month',
            metadata: {},
            hash: createHash('sha256').update(secret).digest('hex'),
            hint: '…0001',
            created_at: new Date().toISOString(),
          }),
          UpdatedAt: new Date().toISOString().replace('T', ' ').slice(0, 23),
        },
      ],
      format: 'JSONEachRow',
    })
    const started = Date.now()
    let status = 0
    while (Date.now() - started < 5_000 && (status = (await chat(secret)).status) !== 200)
      await new Promise((r) => setTimeout(r, 100))
    expect(status).toBe(200)
    await env.restart()
    expect((await chat(secret)).status).toBe(200)
    expect((await chat(CONFIG_KEY)).status).toBe(200)
  })
})
