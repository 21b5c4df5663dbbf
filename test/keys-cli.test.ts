import { describe, expect, it } from 'vitest'
import { tracegate, useGateway } from './harness.ts'

/**
 * `tracegate keys` and `tracegate teams` run as `npx tracegate` against a real gateway: a key made
 * on the command line prints its secret once and works at once, lists and changes show in the
 * table, rotation and revocation take effect, and exit codes say whose mistake it was (2 usage,
 * 1 the API's refusal with its message).
 */
const TOKEN = 'keys-cli-admin-token'
const env = useGateway(
  (mock) => ({
    providers: { openai: { base_url: `${mock.url}/v1` } },
    keys: [{ key: 'tg-config-cli-0001', name: 'from-config', team: 'ops', rpm: 30 }],
    teams: [{ name: 'ops', budget_usd: 100, budget_period: 'month' }],
  }),
  { adminToken: TOKEN },
)

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** The CLI with the gateway's address and token from the environment, as an operator would set them. */
async function cli(args: string[], token = TOKEN): Promise<Run> {
  try {
    const { stdout, stderr } = await tracegate(args, {
      env: { ...process.env, TRACEGATE_URL: env.url, TRACEGATE_ADMIN_TOKEN: token },
    })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as Run
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

/** A table's rows as cells (columns are two or more spaces apart; no cell here has two spaces in it). */
const rows = (stdout: string) =>
  stdout
    .trimEnd()
    .split('\n')
    .map((l) => l.split(/ {2,}/))
const row = (stdout: string, first: string) => rows(stdout).find((r) => r[0] === first || r[1] === first)
const secretOf = (stdout: string) => /^secret {2}(\S+)$/m.exec(stdout)?.[1] ?? ''
const chat = (key: string) => env.chat('gpt-4o', { authorization: `Bearer ${key}` }, { max_tokens: 5 })

let secret = ''

describe('tracegate teams', () => {
  it('creates, lists, updates and deletes a team; config teams are listed read-only', async () => {
    const made = await cli(['teams', 'create', '--name', 'growth', '--budget-usd', '5', '--budget-period', 'week'])
    expect(made).toEqual({ code: 0, stdout: 'created team growth\n', stderr: '' })
    const list = await cli(['teams', 'list'])
    expect(list.code).toBe(0)
    expect(rows(list.stdout)[0]).toEqual(['NAME', 'SOURCE', 'BUDGET', 'SOFT', 'RPM', 'TPM', 'PARALLEL'])
    expect(row(list.stdout, 'ops')).toEqual(['ops', 'config (read-only)', '$100/month', '-', '-', '-', '-'])
    expect(row(list.stdout, 'growth')).toEqual(['growth', 'api', '$5/week', '-', '-', '-', '-'])

    expect((await cli(['teams', 'update', 'growth', '--rpm', '12', '--clear', 'budget-usd'])).stdout).toBe(
      'updated team growth\n',
    )
    expect(row((await cli(['teams', 'list'])).stdout, 'growth')).toEqual(['growth', 'api', '-', '-', '12', '-', '-'])
    const json = JSON.parse((await cli(['teams', 'list', '--format', 'json'])).stdout) as Array<{ name: string }>
    expect(json.map((t) => t.name)).toEqual(['ops', 'growth'])

    const config = await cli(['teams', 'delete', 'ops'])
    expect(config.code).toBe(1)
    expect(config.stderr).toMatch(/^tracegate: 400 .*declared in the config file/)
    expect(await cli(['teams', 'delete', 'growth'])).toEqual({ code: 0, stdout: 'deleted team growth\n', stderr: '' })
    expect(row((await cli(['teams', 'list'])).stdout, 'growth')).toBeUndefined()
  })
})

describe('tracegate keys', () => {
  it('creates a key: the secret is printed once with a warning, works at once, and the list shows only its hint', async () => {
    const made = await cli([
      ...['keys', 'create', '--name', 'ci-bot', '--team', 'growth', '--user', 'alice'],
      ...['--models', 'gpt-4o, openai/*', '--budget-usd', '2.5', '--budget-period', 'day', '--rpm', '60'],
      ...['--expires-at', '2030-01-01T00:00:00Z'],
    ])
    expect(made.code).toBe(0)
    secret = secretOf(made.stdout)
    expect(secret).toMatch(/^tg-[A-Za-z0-9_-]{32}$/)
    expect(made.stdout).toMatch(new RegExp(`^created key ci-bot\nid {6}k[0-9a-f]{15}\nhint {4}…${secret.slice(-4)}\n`))
    expect(made.stderr).toBe('Store this secret now: the gateway keeps only its hash and cannot show it again.\n')
    expect((await chat(secret)).status).toBe(200)

    const list = await cli(['keys', 'list'])
    expect(list.code).toBe(0)
    expect(list.stdout).not.toContain(secret)
    expect(rows(list.stdout)[0]).toEqual([
      ...['ID', 'NAME', 'TEAM', 'USER', 'SOURCE', 'HINT', 'MODELS'],
      ...['BUDGET', 'SOFT', 'RPM', 'TPM', 'PARALLEL', 'EXPIRES'],
    ])
    expect(row(list.stdout, 'ci-bot')!.slice(1)).toEqual([
      ...['ci-bot', 'growth', 'alice', 'api', `…${secret.slice(-4)}`, 'gpt-4o,openai/*'],
      ...['$2.5/day', '-', '60', '-', '-', '2030-01-01T00:00:00Z'],
    ])
    expect(row(list.stdout, 'from-config')!.slice(1)).toEqual([
      ...['from-config', 'ops', '-', 'config (read-only)', '…0001', '-'],
      ...['-', '-', '30', '-', '-', '-'],
    ])
  })

  it('updates a key by name, rotates it (the old secret stops working) and revokes it', async () => {
    expect((await cli(['keys', 'update', 'ci-bot', '--tpm', '5000', '--clear', 'rpm'])).code).toBe(0)
    // Only what the flags name changes: the team, the user and the budget's period stay.
    expect(row((await cli(['keys', 'list'])).stdout, 'ci-bot')!.slice(1, 11)).toEqual([
      ...['ci-bot', 'growth', 'alice', 'api', `…${secret.slice(-4)}`, 'gpt-4o,openai/*'],
      ...['$2.5/day', '-', '-', '5000'],
    ])

    const rotated = await cli(['keys', 'rotate', 'ci-bot'])
    expect(rotated.code).toBe(0)
    const fresh = secretOf(rotated.stdout)
    expect(fresh).toMatch(/^tg-/)
    expect(fresh).not.toBe(secret)
    expect(rotated.stdout.split('\n')[0]).toBe('rotated key ci-bot')
    expect((await chat(secret)).status).toBe(401)
    expect((await chat(fresh)).status).toBe(200)

    const id = row((await cli(['keys', 'list'])).stdout, 'ci-bot')![0]!
    expect(await cli(['keys', 'revoke', id])).toEqual({ code: 0, stdout: `revoked key ${id}\n`, stderr: '' })
    expect((await chat(fresh)).status).toBe(401)
    expect(row((await cli(['keys', 'list'])).stdout, 'ci-bot')).toBeUndefined()
  })

  it('a usage mistake exits 2 naming the flag, before anything is sent', async () => {
    for (const [args, message] of [
      [['keys', 'create', '--rpm', '5'], '--name is required'],
      [['keys', 'create', '--name', 'x', '--rpm', 'lots'], '--rpm: expected a number, got "lots"'],
      [['keys', 'create', '--name', 'x', '--budget-period', 'year'], '--budget-period: '],
      [['keys', 'create', '--name', 'x', '--colour', 'red'], "Unknown option '--colour'"],
      [['keys', 'update', 'ci-bot', '--clear', 'hint'], '--clear: "hint" is not a field that can be cleared'],
      [['keys', 'launch'], 'unknown keys command "launch"'],
      [['teams', 'create', '--name', 'x', '--team', 'y'], "--team is a key's field, not a team's"],
    ] as const) {
      const run = await cli([...args])
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.stderr, args.join(' ')).toContain(message)
      expect(run.stdout).toBe('')
    }
    expect(row((await cli(['keys', 'list'])).stdout, 'x')).toBeUndefined()
  })

  it("the API's refusal exits 1 with its message: a config key, a taken name, an unknown key, a wrong token", async () => {
    const config = await cli(['keys', 'rotate', 'from-config'])
    expect(config.code).toBe(1)
    expect(config.stderr).toMatch(/^tracegate: 400 .*declared in the config file/)
    const taken = await cli(['keys', 'create', '--name', 'from-config'])
    expect(taken.code).toBe(1)
    expect(taken.stderr).toMatch(/^tracegate: 400 /)
    expect(await cli(['keys', 'revoke', 'nobody'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'tracegate: no key with the id or name "nobody"\n',
    })
    const denied = await cli(['keys', 'list'], 'not-the-token')
    expect(denied.code).toBe(1)
    expect(denied.stderr).toBe(
      'tracegate: 401 this API needs the admin token: Authorization: Bearer <TRACEGATE_ADMIN_TOKEN>\n',
    )
    const away = await cli(['keys', 'list', '--url', 'http://127.0.0.1:9'])
    expect(away.code).toBe(1)
    expect(away.stderr).toMatch(/^tracegate: no gateway answers at http:\/\/127\.0\.0\.1:9 /)
  })
})
