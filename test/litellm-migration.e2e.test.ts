import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import OpenAI from 'openai'
import { parse as parseYaml, stringify as toYaml } from 'yaml'
import type { TraceResponse } from '@tracegate/schemas'
import { chatReply } from './mock-upstream.ts'
import { serverSpan, tracegate, useSpawnedGateway } from './harness.ts'

/**
 * The README's "Migrating from LiteLLM", walked end to end against the mock upstream: a LiteLLM
 * config is converted, the gateway starts on it with the master key as admin token, a LiteLLM
 * key-management script makes a key, a LiteLLM client sends with its metadata and reads LiteLLM's
 * headers, `tracegate check` walks the checklist, shadow traffic is compared, and the break-even
 * report reads the spend. The tests are named by the README's steps; step 3 runs after step 4,
 * whose key its live probes are sent with.
 */
const MASTER = 'sk-litellm-master-0001'
const OPERATOR = 'sk-operator-openai-0001'
const env = useSpawnedGateway(null, {
  start: false,
  adminToken: MASTER,
  env: { OPENAI_API_KEY: OPERATOR, LITELLM_MASTER_KEY: MASTER },
})
let url = ''
const cliEnv = () => ({ ...process.env, TRACEGATE_URL: url, TRACEGATE_ADMIN_TOKEN: MASTER })
/** The CLI's stdout and exit code, whatever the code. */
const cli = async (args: string[]): Promise<{ stdout: string; code: number }> => {
  try {
    return { stdout: (await tracegate(args, { cwd: env.dir, env: cliEnv() })).stdout, code: 0 }
  } catch (err) {
    const e = err as { stdout: string; code: number }
    return { stdout: e.stdout, code: e.code }
  }
}
/** A trace once it has `spans` spans (they are written in batches, off the request path). */
async function traceOf(id: string, spans: number): Promise<TraceResponse> {
  for (let i = 0; i < 200; i++) {
    const res = await fetch(`${url}/api/traces/${id}`, { headers: { authorization: `Bearer ${MASTER}` } })
    const body = res.ok ? ((await res.json()) as TraceResponse) : null
    if (body && body.spans.length >= spans) return body
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`trace ${id} did not reach ${spans} spans`)
}
const day = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString()

const litellmConfig = (mock: string) => `
model_list:
  - model_name: support-bot
    litellm_params: { model: openai/gpt-4o, api_base: ${mock}/v1, api_key: os.environ/OPENAI_API_KEY }
  - model_name: cheap
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${mock}/v1, api_key: os.environ/OPENAI_API_KEY }
router_settings:
  num_retries: 1
  fallbacks:
    - support-bot: [cheap]
general_settings:
  master_key: os.environ/LITELLM_MASTER_KEY
teams:
  - { team_id: t-1, team_alias: support, max_budget: 50, budget_duration: 1mo }
`

let key = ''
const costs: number[] = []

describe('migrating from LiteLLM, as the README walks it', () => {
  it('1-2: the converted config starts the gateway on its own, with shadow traffic added to an alias', async () => {
    writeFileSync(join(env.dir, 'litellm.yaml'), litellmConfig(env.mock.url))
    const { stderr } = await tracegate(['import', 'litellm', 'litellm.yaml', '-o', 'tracegate.yaml'], {
      cwd: env.dir,
      env: { ...process.env, LITELLM_MASTER_KEY: MASTER },
    })
    expect(stderr).toContain('router_settings.fallbacks')
    const config = parseYaml(readFileSync(join(env.dir, 'tracegate.yaml'), 'utf8'))
    expect(config.litellm).toEqual({ response_cost_header: true })
    const alias = config.models.find((m: { name: string }) => m.name === 'support-bot')
    expect(alias.targets.map((t: { model: string }) => t.model)).toEqual(['gpt-4o', 'gpt-4o-mini'])
    alias.shadow = {
      targets: [{ provider: 'openai', model: 'gpt-4.1-mini' }],
      sample: 1,
      match: { workflow: 'checkout' },
    }
    writeFileSync(join(env.dir, 'tracegate.yaml'), toYaml(config))
    // Started as the README says: in the directory holding tracegate.yaml, nothing else given.
    url = await env.spawn().ready()
    expect((await fetch(`${url}/readyz`)).status).toBe(200)
  })

  it("4: a LiteLLM key script makes a key; a LiteLLM client's metadata and headers keep working", async () => {
    const made = await fetch(`${url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key_alias: 'checkout-svc', team_id: 'support', max_budget: 5, budget_duration: '30d' }),
    })
    expect(made.status).toBe(200)
    key = ((await made.json()) as { key: string }).key
    const openai = new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 })
    env.mock.fault({ model: 'gpt-4.1-mini', times: 1, reply: chatReply('gpt-4.1-mini', 'A shorter answer.') })
    for (let i = 0; i < 4; i++) {
      const { data, response } = await openai.chat.completions
        .create(
          {
            model: 'support-bot',
            messages: [{ role: 'user', content: `where is order ${i}?` }],
            // LiteLLM's conventions: the body's metadata names the workflow and tags (an array, which
            // OpenAI's own metadata type, strings only, does not allow: hence the cast).
            metadata: { trace_name: 'checkout', tags: ['migration'] },
          } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming,
          { headers: { 'x-litellm-tags': 'prod' } },
        )
        .withResponse()
      expect(data.choices[0]!.message.content).toBe('Hello from the mock upstream.')
      const id = response.headers.get('x-litellm-call-id')!
      expect(id).toBe(response.headers.get('x-tracegate-trace-id'))
      const server = serverSpan(await traceOf(id, 3))
      expect([server.workflow, server.team, server.key_name]).toEqual(['checkout', 'support', 'checkout-svc'])
      expect(server.tags).toEqual(['prod', 'migration'])
      expect(Number(response.headers.get('x-litellm-response-cost'))).toBeCloseTo(server.cost_usd!, 12)
      costs.push(server.cost_usd!)
    }
    // Clients that called models with LiteLLM's master key keep working: it came over as a gateway key.
    const master = await new OpenAI({ apiKey: MASTER, baseURL: `${url}/v1`, maxRetries: 0 }).chat.completions
      .create({ model: 'cheap', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
    const masterSpan = serverSpan(await traceOf(master.response.headers.get('x-tracegate-trace-id')!, 2))
    expect(masterSpan.key_name).toBe('litellm-master')
    costs.push(masterSpan.cost_usd!)
  })

  it('3: tracegate check walks the checklist against the running gateway; --live tests features and fallbacks', async () => {
    const run = await cli(['check', '--live', '--yes', '--json', '--key', key])
    const rows = (JSON.parse(run.stdout) as { rows: Array<{ check: string; subject: string; status: string }> }).rows
    const status = (check: string, subject: string) =>
      rows.find((r) => r.check === check && r.subject === subject)?.status
    expect(status('models', 'openai')).toBe('pass')
    // The mock's GET /models lists gpt-4o only: the converted fallback's model is reported, by name.
    expect(status('model', 'support-bot -> openai/gpt-4o')).toBe('pass')
    expect(status('model', 'cheap -> openai/gpt-4o-mini')).toBe('fail')
    expect(run.code).toBe(1)
    for (const probe of ['chat', 'stream', 'json', 'tools']) expect(status(probe, 'support-bot'), probe).toBe('pass')
    for (const fault of ['429', '500', 'timeout'])
      expect(status(`fallback-${fault}`, 'support-bot'), fault).toBe('pass')
    expect(status('budgets', 'team support')).toBe('pass')
  })

  it('5: tracegate compare puts the shadow beside the primary for the checkout workflow', async () => {
    const run = await cli(['compare', '--from', day(-3_600_000), '--to', day(60_000), '--json'])
    expect(run.code).toBe(0)
    const report = JSON.parse(run.stdout) as {
      rows: Array<{
        workflow: string
        primary: { target: string; requests: number }
        shadow: { target: string; requests: number }
        agreement: { pairs_compared: number; exact_match_rate: number }
      }>
    }
    const row = report.rows.find((r) => r.workflow === 'checkout')!
    expect([row.primary.target, row.shadow.target]).toEqual(['openai/gpt-4o', 'openai/gpt-4.1-mini'])
    expect([row.primary.requests, row.shadow.requests]).toEqual([4, 4])
    expect(row.agreement.pairs_compared).toBe(4)
    expect(row.agreement.exact_match_rate).toBe(0.75)
  })

  it("6: the break-even report reads the period's spend from the spans", async () => {
    const run = await cli(['report', 'break-even', '--from', day(-3_600_000), '--to', day(60_000), '--format', 'json'])
    expect(run.code).toBe(0)
    const report = JSON.parse(run.stdout) as { spend_usd: number }
    // The client's four requests and the check's probes; never the shadow calls.
    expect(report.spend_usd).toBeGreaterThan(costs.reduce((a, b) => a + b, 0))
  })
})
