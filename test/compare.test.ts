import { beforeAll, describe, expect, it } from 'vitest'
import type { ComparePairsResponse, CompareReport, CompareRow, Span, TraceResponse } from '@tracegate/schemas'
import { clientSpans, errorOf, serverSpan, tracegate, useGateway } from './harness.ts'
import { quantileExact } from './compare-helpers.ts'
import { chatReply } from './mock-upstream.ts'

/**
 * The Compare report on real shadow traffic: requests of an alias with `shadow:` go to gpt-4o and,
 * sampled, to gpt-4o-mini; the mock answers the shadow differently or fails for some. The API, its
 * drill-down and the CLI give the figures the spans hold.
 */
const TOKEN = 'compare-admin-token'
const env = useGateway(
  (mock) => ({
    providers: { openai: { base_url: `${mock.url}/v1` } },
    models: [
      {
        name: 'support-bot',
        targets: [{ provider: 'openai', model: 'gpt-4o' }],
        shadow: {
          targets: [{ provider: 'openai', model: 'gpt-4o-mini' }],
          sample: 1,
          match: { workflow: ['checkout', 'support'], team: 'web' },
        },
      },
    ],
  }),
  { adminToken: TOKEN },
)

const HOUR = 3_600_000
const from = new Date(Math.floor(Date.now() / HOUR) * HOUR - HOUR)
const to = new Date(from.getTime() + 3 * HOUR)
const range = { from: from.toISOString(), to: to.toISOString() }
const headers = (workflow: string, team = 'web') => ({ 'x-tracegate-workflow': workflow, 'x-tracegate-team': team })
const admin = (path: string, q: Record<string, string>) =>
  fetch(`${env.url}${path}?${new URLSearchParams({ ...range, ...q })}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  })
const report = async (q: Record<string, string> = {}) =>
  (await (await admin('/api/compare', q)).json()) as CompareReport
const isShadow = (s: Span) => s.attributes['tracegate.shadow'] === 'true'

/** Each request's trace once its shadow span is in (3 spans; 2 for a request not sampled). */
async function send(workflow: string, extra: object = {}, team = 'web'): Promise<TraceResponse> {
  const res = await env.chat('support-bot', headers(workflow, team), extra)
  expect(res.status).toBe(200)
  await res.text()
  return env.trace(res, team === 'web' ? 3 : 2)
}

const checkout: TraceResponse[] = []
const support: TraceResponse[] = []

beforeAll(async () => {
  // The first four shadow answers differ, the next three fail, the other thirteen are the primary's text.
  env.mock.fault({ model: 'gpt-4o-mini', times: 4, reply: chatReply('gpt-4o-mini', 'A different answer') })
  env.mock.fault({ model: 'gpt-4o-mini', times: 3, status: 500 })
  for (let i = 0; i < 20; i++) checkout.push(await send('checkout'))
  // Same alias and workflow, another team: not shadowed, but part of the traffic the projection scales.
  for (let i = 0; i < 2; i++) await send('checkout', {}, 'mobile')
  env.mock.clearFaults()
  // Support: a JSON-mode pair (valid JSON against prose), two tool-call pairs (different, same) and a stream.
  env.mock.fault({ model: 'gpt-4o', times: 1, reply: chatReply('gpt-4o', '{"status":"shipped"}') })
  env.mock.fault({ model: 'gpt-4o-mini', times: 1, reply: chatReply('gpt-4o-mini', 'shipped, probably') })
  support.push(await send('support', { response_format: { type: 'json_object' } }))
  env.mock.fault({ model: 'gpt-4o', times: 1, reply: chatReply('gpt-4o', null, ['lookup_order', 'refund']) })
  env.mock.fault({ model: 'gpt-4o-mini', times: 1, reply: chatReply('gpt-4o-mini', null, ['lookup_order']) })
  support.push(await send('support'))
  env.mock.fault({ model: 'gpt-4o', times: 1, reply: chatReply('gpt-4o', null, ['lookup_order']) })
  env.mock.fault({ model: 'gpt-4o-mini', times: 1, reply: chatReply('gpt-4o-mini', null, ['lookup_order']) })
  support.push(await send('support'))
  support.push(await send('support', { stream: true, stream_options: { include_usage: true } }))
  await env.gw.flushSpans()
}, 60_000)

const shadows = (ts: TraceResponse[]) => ts.map((t) => t.spans.find(isShadow)!)
const attempts = (ts: TraceResponse[]) => ts.map((t) => clientSpans(t).find((s) => !isShadow(s))!)
const total = (xs: Array<number | null>) => xs.reduce<number>((s, x) => s + (x ?? 0), 0)
const rowOf = (r: CompareReport, workflow: string): CompareRow => r.rows.find((x) => x.workflow === workflow)!

describe('GET /api/compare', () => {
  it('one row per workflow, primary and shadow target: requests, errors, latency, tokens side by side', async () => {
    const r = await report()
    expect(r.rows.map((x) => [x.workflow, x.alias, x.primary.target, x.shadow.target])).toEqual([
      ['checkout', 'support-bot', 'openai/gpt-4o', 'openai/gpt-4o-mini'],
      ['support', 'support-bot', 'openai/gpt-4o', 'openai/gpt-4o-mini'],
    ])
    const row = rowOf(r, 'checkout')
    expect([row.primary.requests, row.shadow.requests, row.workflow_requests]).toEqual([20, 20, 22])
    expect([row.primary.errors, row.primary.error_rate]).toEqual([0, 0])
    expect([row.shadow.errors, row.shadow.error_rate]).toEqual([3, 0.15])
    const primaryMs = attempts(checkout).map((s) => s.duration_ms)
    const shadowMs = shadows(checkout)
      .filter((s) => s.error_type === '')
      .map((s) => s.duration_ms)
    expect(shadowMs).toHaveLength(17)
    expect(row.primary.latency_p50_ms).toBeCloseTo(quantileExact(primaryMs, 0.5), 6)
    expect(row.primary.latency_p95_ms).toBeCloseTo(quantileExact(primaryMs, 0.95), 6)
    expect(row.shadow.latency_p50_ms).toBeCloseTo(quantileExact(shadowMs, 0.5), 6)
    expect(row.shadow.latency_p95_ms).toBeCloseTo(quantileExact(shadowMs, 0.95), 6)
    // Nothing streamed in checkout: no time to first token, not zero.
    expect([row.primary.ttft_p50_ms, row.shadow.ttft_p95_ms]).toEqual([null, null])
    const servers = checkout.map(serverSpan)
    expect(row.primary.input_tokens).toBe(total(servers.map((s) => s.input_tokens)))
    expect(row.primary.output_tokens).toBe(120)
    expect(row.primary.output_tokens_per_request).toBe(6)
    expect(row.shadow.output_tokens).toBe(total(shadows(checkout).map((s) => s.output_tokens)))
  })

  it('shadow cost is the shadow spans’ own, apart from the billed cost; projections scale the workflow’s rate to 30 days', async () => {
    const r = await report({ workflow: 'checkout' })
    const row = r.rows[0]!
    const billed = total(checkout.map((t) => serverSpan(t).cost_usd))
    const shadowCost = total(shadows(checkout).map((s) => s.cost_usd))
    expect(shadowCost).toBeGreaterThan(0)
    // The requests cost exactly their primary attempts: the shadow calls are not in them.
    expect(billed).toBeCloseTo(total(attempts(checkout).map((s) => s.cost_usd)), 12)
    expect(r.totals.shadow_cost_usd).toBeCloseTo(shadowCost, 12)
    expect(r.totals.billed_cost_usd).toBeCloseTo(billed, 12)
    expect([r.totals.pairs, r.totals.sampled_requests, r.workflow, r.days]).toEqual([20, 20, 'checkout', 0.125])
    expect(row.primary.cost_usd).toBeCloseTo(billed, 12)
    expect(row.shadow.cost_usd).toBeCloseTo(shadowCost, 12)
    expect(row.primary.cost_per_request_usd).toBeCloseTo(billed / 20, 12)
    const pricedShadows = shadows(checkout).filter((s) => s.cost_usd !== null)
    expect(row.shadow.cost_per_request_usd).toBeCloseTo(shadowCost / pricedShadows.length, 12)
    // 22 requests in 3 hours: 176 a day, 5,280 in 30 days.
    expect(row.primary.projected_monthly_usd).toBeCloseTo((billed / 20) * 5280, 9)
    expect(row.shadow.projected_monthly_usd).toBeCloseTo((shadowCost / pricedShadows.length) * 5280, 9)
  })

  it('agreement: exact matches over pairs where both answered, the length ratio, JSON validity and tool names', async () => {
    const c = rowOf(await report(), 'checkout').agreement
    expect([c.pairs_compared, c.exact_match_rate]).toEqual([17, 13 / 17])
    // "A different answer" (18 characters) against "Hello from the mock upstream." (29).
    expect(c.mean_length_ratio).toBeCloseTo((13 + (4 * 18) / 29) / 17, 12)
    expect([c.json_pairs, c.json_valid_rate_primary, c.tool_pairs, c.same_tools_rate]).toEqual([0, null, 0, null])
    const s = rowOf(await report(), 'support')
    expect(s.agreement).toMatchObject({
      pairs_compared: 4,
      // Tool-only answers have no text: equal (empty) text; the prose against the JSON differs.
      exact_match_rate: 0.75,
      json_pairs: 1,
      json_valid_rate_primary: 1,
      json_valid_rate_shadow: 0,
      tool_pairs: 2,
      same_tools_rate: 0.5,
    })
    const streamed = support[3]!
    const [primaryTtft, shadowTtft] = [attempts([streamed])[0]!.ttft_ms, shadows([streamed])[0]!.ttft_ms]
    expect(primaryTtft).toBeGreaterThan(0)
    expect(shadowTtft).toBeGreaterThan(0)
    // One stream in support: its time to first token is both percentiles of each side.
    expect([s.primary.ttft_p50_ms, s.primary.ttft_p95_ms]).toEqual([primaryTtft, primaryTtft])
    expect([s.shadow.ttft_p50_ms, s.shadow.ttft_p95_ms]).toEqual([shadowTtft, shadowTtft])
  })

  it('CSV: one line per row, empty cells where a figure does not apply', async () => {
    const res = await admin('/api/compare', { format: 'csv' })
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/)
    const [header, ...lines] = (await res.text()).trim().split('\n')
    const cols = header!.split(',')
    const cell = (line: string, name: string) => line.split(',')[cols.indexOf(name)]
    expect(lines).toHaveLength(2)
    expect([cell(lines[0]!, 'workflow'), cell(lines[0]!, 'shadow_error_rate'), cell(lines[0]!, 'json_pairs')]).toEqual([
      'checkout',
      '0.15',
      '0',
    ])
    expect(cell(lines[0]!, 'same_tools_rate')).toBe('')
    expect(cell(lines[1]!, 'same_tools_rate')).toBe('0.5')
  })

  it('bad input is a 400 naming the parameter; without the admin token a 401', async () => {
    const bad = await admin('/api/compare', { to: from.toISOString() })
    expect(bad.status).toBe(400)
    expect((await errorOf(bad)).param).toBe('to')
    const noShadow = await admin('/api/compare/pairs', { workflow: 'checkout', primary: 'openai/gpt-4o' })
    expect(noShadow.status).toBe(400)
    expect((await errorOf(noShadow)).param).toBe('shadow')
    expect((await fetch(`${env.url}/api/compare?${new URLSearchParams(range)}`)).status).toBe(401)
  })
})

describe('GET /api/compare/pairs', () => {
  it('the latest pairs of a row, newest first, both outputs and whether they agreed', async () => {
    const res = await admin('/api/compare/pairs', {
      workflow: 'checkout',
      primary: 'openai/gpt-4o',
      shadow: 'openai/gpt-4o-mini',
      limit: '50',
    })
    const { pairs } = (await res.json()) as ComparePairsResponse
    expect(pairs).toHaveLength(20)
    expect(pairs.map((p) => p.trace_id)).toEqual(checkout.map((t) => t.trace_id).reverse())
    const tally = (v: boolean | null) => pairs.filter((p) => p.agreed === v).length
    expect([tally(true), tally(false), tally(null)]).toEqual([13, 4, 3])
    const differ = pairs.find((p) => p.agreed === false)!
    expect([differ.primary.output, differ.shadow.output]).toEqual([
      'Hello from the mock upstream.',
      'A different answer',
    ])
    expect([differ.primary.output_chars, differ.shadow.output_chars]).toEqual([29, 18])
    const failed = pairs.find((p) => p.agreed === null)!
    expect([failed.shadow.status, failed.shadow.error_type, failed.shadow.http_status]).toEqual(['error', '500', 500])
    const trace = checkout.find((t) => t.trace_id === differ.trace_id)!
    expect(differ.shadow.span_id).toBe(trace.spans.find(isShadow)!.span_id)
    expect(differ.primary.cost_usd).toBe(serverSpan(trace).cost_usd)
  })

  it('JSON validity and tool names per side', async () => {
    const res = await admin('/api/compare/pairs', {
      workflow: 'support',
      primary: 'openai/gpt-4o',
      shadow: 'openai/gpt-4o-mini',
    })
    const { pairs } = (await res.json()) as ComparePairsResponse
    const [stream, sameTools, otherTools, json] = pairs
    expect([json!.primary.json_valid, json!.shadow.json_valid, stream!.primary.json_valid]).toEqual([true, false, null])
    expect([otherTools!.primary.tools, otherTools!.shadow.tools]).toEqual([
      ['lookup_order', 'refund'],
      ['lookup_order'],
    ])
    expect(sameTools!.shadow.tools).toEqual(['lookup_order'])
    expect(stream!.shadow.ttft_ms).toBe(shadows([support[3]!])[0]!.ttft_ms)
  })
})

describe('tracegate compare', () => {
  const cli = (args: string[]) =>
    tracegate(['compare', '--from', range.from, '--to', range.to, '--url', env.url, '--token', TOKEN, ...args])

  it('prints the pair rows side by side with the same figures as the API', async () => {
    const r = await report({ workflow: 'checkout' })
    const { stdout } = await cli(['--workflow', 'checkout'])
    const lines = stdout.split('\n').map((l) => l.trim().replace(/\s{2,}/g, ' | '))
    expect(lines).toContain('checkout · alias support-bot · 22 requests in the period')
    expect(lines).toContain('target | openai/gpt-4o | openai/gpt-4o-mini')
    expect(lines).toContain('requests | 20 | 20')
    expect(lines).toContain('error rate | 0.0% (0) | 15.0% (3)')
    const shadow = r.rows[0]!.shadow
    expect(lines).toContain(
      `output tokens | 120 (6.0/req) | ${shadow.output_tokens} (${shadow.output_tokens_per_request!.toFixed(1)}/req)`,
    )
    expect(lines).toContain(
      'agreement: 17 pairs compared, exact match 76.5%, length ratio 0.91, JSON valid –, same tools –',
    )
    expect(stdout).not.toContain('support ·')
    const { stdout: json } = await cli(['--workflow', 'checkout', '--json'])
    expect(JSON.parse(json)).toEqual(r)
  })
})
