import { describe, expect, it } from 'vitest'
import { clientSpans, errorOf, tracegate, traceId, useGateway } from './harness.ts'

/**
 * `tracegate check` run as `npx tracegate` against a real gateway and the mock upstream: the
 * checklist rows from the running config, the live probes through the gateway with their trace
 * links, and fallbacks exercised by injected faults that never reach the provider.
 */
const TOKEN = 'check-admin-token'
const KEY = 'tg-check-key-0001'
const OPERATOR_KEY = 'sk-operator-key-for-check-0001'
const env = useGateway(
  (mock) => ({
    providers: {
      openai: { base_url: `${mock.url}/v1`, api_key: OPERATOR_KEY },
      backup: { type: 'openai-compatible', base_url: `${mock.url}/backup/v1` },
      broken: { type: 'openai-compatible', base_url: `${mock.url}/broken/v1` },
    },
    models: [
      {
        name: 'smart',
        retries: 1,
        backoff: { initial_ms: 5, max_ms: 10 },
        targets: [
          { provider: 'openai', model: 'gpt-4o' },
          { provider: 'backup', model: 'gpt-4o' },
        ],
      },
      { name: 'typo', targets: [{ provider: 'openai', model: 'gpt-4o-typo' }] },
      { name: 'vectors', targets: [{ provider: 'openai', model: 'text-embedding-3-small' }] },
    ],
    keys: [{ key: KEY, name: 'checker', team: 'ops' }],
    teams: [
      { name: 'ops', budget_usd: 100, budget_period: 'month', rpm: 600 },
      { name: 'batch', max_parallel: 2 },
    ],
  }),
  { adminToken: TOKEN },
)

interface Run {
  code: number
  stdout: string
  stderr: string
}
interface Row {
  step: number
  check: string
  subject: string
  status: string
  detail: string
  trace_id?: string
  trace_url?: string
}

async function cli(args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await tracegate(['check', '--gateway', env.url, ...args], {
      env: { ...process.env, TRACEGATE_URL: '', TRACEGATE_ADMIN_TOKEN: TOKEN, TRACEGATE_KEY: KEY },
    })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as Run
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

const rowsOf = (run: Run) => (JSON.parse(run.stdout) as { rows: Row[] }).rows
const find = (rows: Row[], check: string, subject: string) => {
  const r = rows.find((x) => x.check === check && x.subject === subject)
  if (!r) throw new Error(`no row ${check} ${subject}`)
  return r
}
const posts = () => env.mock.calls.filter((c) => c.method === 'POST').length
/** Upstream calls made for a trace: each attempt sends a traceparent carrying the trace id. */
const upstreamCallsOf = (id: string) => env.mock.calls.filter((c) => String(c.headers.traceparent).includes(id))

describe('tracegate check (without --live)', () => {
  it('walks the checklist: a target the provider does not list fails by name, unlisted providers say why, manual rows are never passes', async () => {
    const unfault = env.mock.fault({ pathPrefix: '/broken', status: 401 })
    const run = await cli(['--json'])
    unfault()
    expect(run.code).toBe(1)
    const rows = rowsOf(run)
    expect(find(rows, 'models', 'openai')).toMatchObject({ status: 'pass', detail: '1 model listed by GET /models' })
    expect(find(rows, 'models', 'broken')).toMatchObject({ status: 'fail', detail: 'could not list: 401 server_error' })
    expect(find(rows, 'model', 'typo -> openai/gpt-4o-typo')).toMatchObject({
      step: 2,
      status: 'fail',
      detail: 'model not offered: openai does not list gpt-4o-typo',
    })
    expect(find(rows, 'model', 'smart -> backup/gpt-4o')).toMatchObject({ status: 'pass', detail: 'offered by backup' })
    expect(find(rows, 'route', 'smart')).toMatchObject({
      status: 'pass',
      detail: 'fallback to openai/gpt-4o, backup/gpt-4o, 1 retry per target',
    })
    expect(find(rows, 'budgets', 'team ops')).toMatchObject({ step: 4, status: 'pass', detail: '$100/month, rpm 600' })
    // A limit the enforcer applies is one the checklist counts, whatever kind it is.
    expect(find(rows, 'budgets', 'team batch')).toMatchObject({ step: 4, status: 'pass', detail: 'max 2 in flight' })
    expect(find(rows, 'fallback-config', 'smart')).toMatchObject({ status: 'pass' })
    expect(find(rows, 'fallback-config', 'typo')).toMatchObject({
      status: 'fail',
      detail: 'one target: nothing to fall back to',
    })
    expect(rows.filter((r) => r.status === 'manual').map((r) => [r.step, r.check])).toEqual([
      [6, 'cost-per-workflow'],
      [7, 'shadow-traffic'],
      [8, 'rollback'],
    ])
    expect(find(rows, 'features', '-').status).toBe('skip')
    // The model list was read with the operator's key, which never reaches the output.
    const list = env.mock.calls.filter((c) => c.path === '/v1/models').at(-1)!
    expect(list.headers.authorization).toBe(`Bearer ${OPERATOR_KEY}`)
    expect(run.stdout).not.toContain(OPERATOR_KEY)
  })

  it('prints the rows under their checklist steps as text', async () => {
    const run = await cli([])
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('\n2. Map each model to a route\n')
    expect(run.stdout).toMatch(
      /^ {2}fail {4}model +typo -> openai\/gpt-4o-typo +model not offered: openai does not list gpt-4o-typo$/m,
    )
    expect(run.stdout).toMatch(/^ {2}manual {2}rollback +- +keep LiteLLM deployed/m)
  })
})

describe('tracegate check --live', () => {
  it('refuses on a non-terminal without --yes, after the estimate, and sends nothing', async () => {
    const before = posts()
    const run = await cli(['--live'])
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/^--live sends 12 requests through http:\/\/127\.0\.0\.1:\d+ to 3 aliases /)
    expect(run.stderr).toMatch(/each capped at 64 output tokens: at most \$0\.\d{4} by the gateway's prices\./)
    expect(run.stderr).toContain('Unpriced, counted as $0: backup/gpt-4o, openai/gpt-4o-typo.')
    expect(run.stderr).toContain('nothing was sent; add --yes to go ahead')
    expect(posts()).toBe(before)
  })

  it('with --yes passes chat, stream, JSON, tools and embeddings, each linked to its trace', async () => {
    const run = await cli(['--live', '--yes', '--json'])
    expect(run.code).toBe(1) // the static failures (typo, vectors not listed) stay
    const rows = rowsOf(run)
    expect(find(rows, 'chat', 'smart')).toMatchObject({
      status: 'pass',
      detail: 'answered "Hello from the mock upstream."',
    })
    expect(find(rows, 'stream', 'smart')).toMatchObject({
      status: 'pass',
      detail: '8 chunks, "Hello from the mock upstream."',
    })
    expect(find(rows, 'json', 'smart')).toMatchObject({ status: 'pass', detail: 'valid JSON: {"status":"ok"}' })
    expect(find(rows, 'tools', 'smart')).toMatchObject({
      status: 'pass',
      detail: 'tool call get_weather({"city":"Paris"})',
    })
    expect(find(rows, 'embeddings', 'vectors')).toMatchObject({ status: 'pass', detail: '4 dimensions' })
    for (const check of ['chat', 'stream', 'json', 'tools']) {
      const r = find(rows, check, 'smart')
      expect(r.trace_url).toBe(`${env.url}/traces/${r.trace_id}`)
      const trace = await env.trace(r.trace_id!)
      expect(trace.trace_id).toBe(r.trace_id)
      expect(trace.spans.find((s) => s.kind === 'server')!.workflow).toBe('tracegate-check')
    }
    expect(run.stdout).not.toContain(OPERATOR_KEY)

    for (const kind of ['429', '500', 'timeout']) {
      const r = find(rows, `fallback-${kind}`, 'smart')
      expect(r).toMatchObject({
        step: 5,
        status: 'pass',
        detail: `${kind} injected on openai/gpt-4o x2 (provider not called), answered by backup/gpt-4o on attempt 3`,
      })
      const attempts = clientSpans(await env.trace(r.trace_id!, 4)).sort((a, b) => a.attempt - b.attempt)
      expect(attempts.map((s) => [s.provider, s.attributes['tracegate.injected_fault'] ?? ''])).toEqual([
        ['openai', kind],
        ['openai', kind],
        ['backup', ''],
      ])
      // The faulted attempts reached no provider: the mock saw only the fallback's request.
      expect(upstreamCallsOf(r.trace_id!).map((c) => c.path)).toEqual(['/backup/v1/chat/completions'])
    }
  })
})

describe('x-tracegate-inject-fault', () => {
  const chat = (headers: Record<string, string>) => env.chat('smart', { authorization: `Bearer ${KEY}`, ...headers })

  it('is refused with a 403 to an ordinary caller, and nothing is sent upstream', async () => {
    const ordinary: Array<Record<string, string>> = [
      { 'x-tracegate-inject-fault': '429' },
      { 'x-tracegate-inject-fault': '500', 'x-tracegate-admin-token': 'not-the-token' },
    ]
    for (const headers of ordinary) {
      const res = await chat(headers)
      expect(res.status).toBe(403)
      expect(traceId(res)).toMatch(/^[0-9a-f]{32}$/)
      expect(await errorOf(res)).toMatchObject({ type: 'permission_error', code: 'fault_injection_forbidden' })
      expect(upstreamCallsOf(traceId(res))).toEqual([])
    }
    const bad = await chat({ 'x-tracegate-inject-fault': 'teapot', 'x-tracegate-admin-token': TOKEN })
    expect(bad.status).toBe(400)
    expect(await errorOf(bad)).toMatchObject({ code: 'invalid_header', param: 'x-tracegate-inject-fault' })
  })

  it('names a staged timeout in the 504 when no fallback takes over', async () => {
    const res = await env.chat('typo', {
      authorization: `Bearer ${KEY}`,
      'x-tracegate-inject-fault': 'timeout',
      'x-tracegate-admin-token': TOKEN,
    })
    expect(res.status).toBe(504)
    expect(await errorOf(res)).toMatchObject({
      code: 'upstream_timeout',
      message: expect.stringContaining('the last, openai: injected timeout'),
    })
    expect(upstreamCallsOf(traceId(res))).toEqual([])
  })

  it('never forwards the admin token, and staged failures put no healthy target in cooldown', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await chat({ 'x-tracegate-inject-fault': '500', 'x-tracegate-admin-token': TOKEN })
      expect([res.status, res.headers.get('x-tracegate-provider')]).toEqual([200, 'backup'])
      const [call] = upstreamCallsOf(traceId(res))
      expect(call!.headers['x-tracegate-admin-token']).toBeUndefined()
      expect(call!.headers['x-tracegate-inject-fault']).toBeUndefined()
    }
    // Nor do they count as upstream errors in the Prometheus metrics users alert on.
    await env.gw.flushSpans()
    const metrics = await (await fetch(`${env.url}/metrics`)).text()
    expect(metrics).not.toMatch(/tracegate_upstream_attempts_total\{[^}]*error_type="500"/)
    expect(metrics).toMatch(/tracegate_upstream_attempts_total\{provider="backup",model="gpt-4o",error_type=""\} [1-9]/)
    // Six staged 500s on openai/gpt-4o, twice the cooldown threshold: it still answers first.
    const res = await chat({})
    expect([res.status, res.headers.get('x-tracegate-provider'), res.headers.get('x-tracegate-attempts')]).toEqual([
      200,
      'openai',
      '1',
    ])
  })
})
