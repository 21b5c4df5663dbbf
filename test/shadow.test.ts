import { describe, expect, it } from 'vitest'
import type { Span, TraceResponse } from '@tracegate/schemas'
import { clientSpans, serverSpan, tracegate, traceId, until, useGateway } from './harness.ts'
import { launchBrowser } from './browser.ts'
import { chatReply } from './mock-upstream.ts'

/**
 * Shadow traffic: a sampled request of an alias with `shadow:` is also sent to the shadow target,
 * recorded as one more span of its trace, kept out of its cost, its key's budget and the attempt
 * rollups, and summarised (digest, length, tools, JSON validity) for comparing the two answers.
 */
const KEY = 'tg-shadow-key-0001'
const TOKEN = 'shadow-admin-token'
const env = useGateway(
  (mock) => ({
    providers: { openai: { base_url: `${mock.url}/v1` }, anthropic: { base_url: mock.url } },
    keys: [{ key: KEY, name: 'shadowed', budget_usd: 5, budget_period: 'month' }],
    models: [
      {
        name: 'support-bot',
        targets: [{ provider: 'openai', model: 'gpt-4o' }],
        shadow: {
          targets: [{ provider: 'openai', model: 'gpt-4.1-mini' }],
          sample: 1,
          match: { workflow: 'checkout' },
        },
      },
      {
        name: 'claude-bot',
        targets: [{ provider: 'anthropic', model: 'claude-sonnet-4-5' }],
        shadow: {
          targets: [
            { provider: 'anthropic', model: 'claude-haiku-4-5' },
            { provider: 'openai', model: 'gpt-4o-mini' },
          ],
          sample: 1,
        },
      },
    ],
  }),
  { apiKey: KEY, adminToken: TOKEN },
)

const CHECKOUT = { 'x-tracegate-workflow': 'checkout' }
const shadowSpan = (t: TraceResponse): Span | undefined =>
  t.spans.find((s) => s.attributes['tracegate.shadow'] === 'true')
const primaryAttempt = (t: TraceResponse): Span =>
  clientSpans(t).find((s) => s.attributes['tracegate.shadow'] !== 'true')!

describe('shadow traffic', () => {
  it('sends a sampled request to the shadow target too, as a span of its trace, without touching the answer', async () => {
    const openai = env.openai(KEY)
    const { data, response } = await openai.chat.completions
      .create(
        { model: 'support-bot', messages: [{ role: 'user', content: 'where is my order?' }] },
        { headers: CHECKOUT },
      )
      .withResponse()
    expect(data.choices[0]!.message.content).toBe('Hello from the mock upstream.')
    expect(response.headers.get('x-tracegate-attempts')).toBe('1')
    const t = await env.trace(response.headers.get('x-tracegate-trace-id')!, 3)
    const server = serverSpan(t)
    const shadow = shadowSpan(t)!
    const primary = primaryAttempt(t)
    expect(t.spans).toHaveLength(3)
    expect(shadow.kind).toBe('client')
    expect(shadow.parent_span_id).toBe(server.span_id)
    expect(shadow.request_model).toBe('gpt-4.1-mini')
    expect(shadow.name).toBe('chat gpt-4.1-mini (shadow)')
    expect(shadow.http_status).toBe(200)
    expect(shadow.workflow).toBe('checkout')
    expect(shadow.cost_usd).toBeGreaterThan(0)
    // The request costs what its own attempt cost: the shadow call is not billed to it.
    expect(server.cost_usd).toBe(primary.cost_usd)
    expect(server.attributes['tracegate.shadow.sampled']).toBe('true')
    // The same text from both: the same digest and length.
    expect(shadow.attributes['tracegate.output.chars']).toBe('29')
    expect(primary.attributes['tracegate.output.hash']).toBe(shadow.attributes['tracegate.output.hash'])
    // The mock saw both calls, each with its own model.
    const models = env.mock.calls.filter((c) => c.path === '/v1/chat/completions').map((c) => c.json.model)
    expect(models.slice(-2).sort()).toEqual(['gpt-4.1-mini', 'gpt-4o'])
  })

  it('streams: the shadow call streams too, with its own time to first token', async () => {
    const openai = env.openai(KEY)
    const stream = await openai.chat.completions
      .create(
        { model: 'support-bot', stream: true, messages: [{ role: 'user', content: 'hi' }] },
        { headers: CHECKOUT },
      )
      .withResponse()
    let text = ''
    for await (const chunk of stream.data) text += chunk.choices[0]?.delta?.content ?? ''
    expect(text).toBe('Hello from the mock upstream.')
    const t = await env.trace(stream.response.headers.get('x-tracegate-trace-id')!, 3)
    const shadow = shadowSpan(t)!
    expect(shadow.stream).toBe(true)
    expect(shadow.ttft_ms).toBeGreaterThan(0)
    expect(shadow.output_tokens).toBe(6)
    expect(shadow.attributes['tracegate.output.hash']).toBe(primaryAttempt(t).attributes['tracegate.output.hash'])
  })

  it('a shadow that answers differently or fails changes nothing for the client', async () => {
    env.mock.fault({ model: 'gpt-4.1-mini', times: 1, reply: chatReply('gpt-4.1-mini', 'A different answer') })
    const differs = await env.chat('support-bot', CHECKOUT)
    expect(differs.status).toBe(200)
    const t1 = await env.trace(differs, 3)
    expect(shadowSpan(t1)!.attributes['tracegate.output.hash']).not.toBe(
      primaryAttempt(t1).attributes['tracegate.output.hash'],
    )
    expect(shadowSpan(t1)!.attributes['tracegate.output.chars']).toBe('18')

    env.mock.fault({ model: 'gpt-4.1-mini', times: 1, status: 500 })
    const failed = await env.chat('support-bot', CHECKOUT)
    expect(failed.status).toBe(200)
    expect(
      ((await failed.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content,
    ).toBe('Hello from the mock upstream.')
    const t2 = await env.trace(failed, 3)
    expect(shadowSpan(t2)!.error_type).toBe('500')
    expect(shadowSpan(t2)!.status).toBe('error')
    expect(serverSpan(t2).status).toBe('ok')
    expect(serverSpan(t2).error_type).toBe('')
  })

  it('JSON mode and tool calls are summarised for agreement', async () => {
    env.mock.fault({ model: 'gpt-4o', times: 1, reply: chatReply('gpt-4o', '{"status":"shipped"}') })
    env.mock.fault({ model: 'gpt-4.1-mini', times: 1, reply: chatReply('gpt-4.1-mini', 'shipped, probably') })
    const json = await env.chat('support-bot', CHECKOUT, { response_format: { type: 'json_object' } })
    const t1 = await env.trace(json, 3)
    expect(primaryAttempt(t1).attributes['tracegate.output.json_valid']).toBe('true')
    expect(shadowSpan(t1)!.attributes['tracegate.output.json_valid']).toBe('false')

    env.mock.fault({ model: 'gpt-4o', times: 1, reply: chatReply('gpt-4o', null, ['lookup_order', 'refund']) })
    env.mock.fault({ model: 'gpt-4.1-mini', times: 1, reply: chatReply('gpt-4.1-mini', null, ['lookup_order']) })
    const tools = await env.chat('support-bot', CHECKOUT)
    const t2 = await env.trace(tools, 3)
    expect(primaryAttempt(t2).attributes['tracegate.output.tools']).toBe('["lookup_order","refund"]')
    expect(shadowSpan(t2)!.attributes['tracegate.output.tools']).toBe('["lookup_order"]')
    expect(primaryAttempt(t2).attributes['tracegate.output.json_valid']).toBeUndefined()
  })

  it('a request with a staged failure (tracegate check) is not shadowed', async () => {
    const before = env.mock.calls.length
    const res = await env.chat('support-bot', {
      ...CHECKOUT,
      'x-tracegate-inject-fault': '500',
      'x-tracegate-admin-token': TOKEN,
    })
    expect(res.status).toBe(500)
    const t = await env.trace(res, 3)
    await env.gw.flushSpans()
    expect((await env.trace(res, 3)).spans).toHaveLength(3)
    expect(clientSpans(t).map((s) => s.attributes['tracegate.injected_fault'])).toEqual(['500', '500'])
    expect(serverSpan(t).attributes['tracegate.shadow.sampled']).toBeUndefined()
    expect(env.mock.calls.length).toBe(before)
  })

  it('only requests that match are shadowed', async () => {
    const other = await env.chat('support-bot', { 'x-tracegate-workflow': 'search' })
    const t = await env.trace(other, 2)
    await env.gw.flushSpans()
    expect((await env.trace(other, 2)).spans).toHaveLength(2)
    expect(shadowSpan(t)).toBeUndefined()
    expect(serverSpan(t).attributes['tracegate.shadow.sampled']).toBeUndefined()
    expect(primaryAttempt(t).attributes['tracegate.output.hash']).toBeUndefined()
  })

  it("stays out of the key's budget, the attempt rollups and the attempt metrics", async () => {
    await env.gw.flushSpans()
    const db = env.gw.store.database
    const sum = async (query: string) => {
      const rs = await env.gw.store.client.query({ query, format: 'JSONEachRow' })
      return Number(((await rs.json()) as Array<{ v: string | number }>)[0]!.v)
    }
    const billed = await sum(`SELECT sum(CostUsd) AS v FROM ${db}.spans WHERE SpanKind = 'Server'`)
    const shadowCost = await sum(
      `SELECT sum(CostUsd) AS v FROM ${db}.spans WHERE SpanAttributes['tracegate.shadow'] = 'true'`,
    )
    expect(shadowCost).toBeGreaterThan(0)
    const res = await fetch(`${env.url}/api/limits/usage`, { headers: { authorization: `Bearer ${TOKEN}` } })
    const { scopes } = (await res.json()) as { scopes: Array<{ name: string; spent_usd: number }> }
    expect(scopes.find((s) => s.name === 'shadowed')!.spent_usd).toBeCloseTo(billed, 12)
    expect(await sum(`SELECT count() AS v FROM ${db}.attempts_1m WHERE Model = 'gpt-4.1-mini'`)).toBe(0)
    expect(await sum(`SELECT count() AS v FROM ${db}.targets_1m WHERE Model = 'gpt-4.1-mini'`)).toBe(0)
    expect(await sum(`SELECT sum(Attempts) AS v FROM ${db}.targets_1m WHERE Model = 'gpt-4o'`)).toBeGreaterThan(0)
    const metrics = await (await fetch(`${env.url}/metrics`)).text()
    expect(metrics).toMatch(/tracegate_shadow_calls_total\{provider="openai",model="gpt-4.1-mini",result="ok"\} [1-9]/)
    expect(metrics).toMatch(/tracegate_shadow_calls_total\{provider="openai",model="gpt-4.1-mini",result="error"\} 1/)
    expect(metrics).not.toMatch(/tracegate_upstream_attempts_total\{[^}]*model="gpt-4.1-mini"/)
  })

  it('a slow shadow does not hold the answer back', async () => {
    env.mock.fault({ model: 'gpt-4.1-mini', times: 1, delayHeadersMs: 1500 })
    const res = await env.chat('support-bot', CHECKOUT)
    expect(res.status).toBe(200)
    await res.text()
    // The client has its whole answer while the shadow call is still waiting for its headers.
    const shadowCall = env.mock.calls.filter((c) => c.json?.model === 'gpt-4.1-mini').at(-1)!
    expect(shadowCall.finishedAt).toBe(0)
    await until('the shadow span', async () => Boolean(shadowSpan(await env.trace(res, 2))))
    expect(shadowSpan(await env.trace(res, 3))!.http_status).toBe(200)
    expect(traceId(res)).toMatch(/^[0-9a-f]{32}$/)
  })

  it("Anthropic's messages: shadowed to a target that speaks them; one that does not is skipped and said so", async () => {
    const stream = await env
      .anthropic(KEY)
      .messages.create({
        model: 'claude-bot',
        max_tokens: 64,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      })
      .withResponse()
    for await (const event of stream.data) void event
    const t = await env.trace(stream.response.headers.get('x-tracegate-trace-id')!, 3)
    expect(t.spans).toHaveLength(3)
    const shadow = shadowSpan(t)!
    expect(shadow.request_model).toBe('claude-haiku-4-5')
    expect(shadow.attributes['tracegate.output.hash']).toBe(primaryAttempt(t).attributes['tracegate.output.hash'])
    expect(shadow.output_tokens).toBe(6)
    expect(serverSpan(t).events.map((e) => [e.name, e.attributes['tracegate.target']])).toEqual([
      ['shadow skipped: target does not speak this route', 'openai/gpt-4o-mini'],
    ])
  })

  it("the trace's waterfall shows the shadow call apart from the attempts, and the response shown is the answer's", async () => {
    env.mock.fault({ model: 'gpt-4.1-mini', times: 1, reply: chatReply('gpt-4.1-mini', 'The shadow says otherwise') })
    const res = await env.chat('support-bot', CHECKOUT)
    await env.trace(res, 3)
    const browser = await launchBrowser()
    try {
      const page = await browser.newPage()
      await page.goto(`${env.url}/traces/${traceId(res)}`)
      await page.getByLabel('Admin token').fill(TOKEN)
      await page.getByRole('button', { name: 'Continue' }).click()
      await page.getByTestId('waterfall').waitFor()
      expect(await page.getByTestId('wf-attempt').count()).toBe(1)
      expect(await page.getByTestId('wf-shadow').count()).toBe(1)
      expect(await page.getByTestId('wf-shadow').textContent()).toContain('gpt-4.1-mini')
      expect(await page.getByTestId('attempt-count').textContent()).toBe('1')
      // The response shown by default is the one the client got, not the shadow's.
      await page.getByText('Hello from the mock upstream.').first().waitFor()
      expect(await page.getByText('The shadow says otherwise').count()).toBe(0)
      await page.getByTestId('wf-shadow').click()
      await page.getByText('Shadow call: chat gpt-4.1-mini (shadow)').waitFor()
      expect(await page.getByText('The shadow says otherwise').count()).toBe(1)
    } finally {
      await browser.close()
    }
  })

  it("tracegate check reports the week's shadow traffic per workflow and pair, as a manual row with its figures", async () => {
    await env.gw.flushSpans()
    const { stdout } = await tracegate(['check', '--gateway', env.url, '--json'], {
      env: { ...process.env, TRACEGATE_URL: '', TRACEGATE_ADMIN_TOKEN: TOKEN },
    }).catch((err: { stdout: string }) => err)
    const rows = (
      JSON.parse(stdout) as { rows: Array<{ step: number; subject: string; status: string; detail: string }> }
    ).rows
    const shadow = rows.filter((r) => r.step === 7)
    expect(shadow.map((r) => [r.subject, r.status])).toContainEqual([
      'checkout · support-bot: openai/gpt-4o vs openai/gpt-4.1-mini',
      'manual',
    ])
    const res = await fetch(
      `${env.url}/api/compare?from=${new Date(Date.now() - 86_400_000).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`,
      { headers: { authorization: `Bearer ${TOKEN}` } },
    )
    const report = (await res.json()) as { rows: Array<{ workflow: string; agreement: { pairs_compared: number } }> }
    const pairs = report.rows.find((r) => r.workflow === 'checkout')!.agreement.pairs_compared
    expect(pairs).toBeGreaterThan(3)
    expect(shadow.find((r) => r.subject.startsWith('checkout · support-bot'))!.detail).toMatch(
      new RegExp(`^${pairs} pairs compared: exact match \\d+\\.\\d%`),
    )
  })
})
