import { describe, expect, it } from 'vitest'
import { calcPrice } from '@pydantic/genai-prices'
import type { CostReport, QueryResponse, Span } from '@tracegate/schemas'
import { launchBrowser } from './browser.ts'
import { tracegate, useGateway, clientSpans, serverSpan } from './harness.ts'
import { USAGE_CASES, longResponses, type Billed, type UsageCase } from './fixtures/provider-usage.ts'

/**
 * Prices that match the bill: recorded provider responses (each provider's documented shape, with
 * its usage quirks) replayed through the real gateway, non-streamed and streamed. Tokens must be
 * what the provider bills and cost what the price data says for them, to 1e-9, the same both ways.
 */
const env = useGateway(
  (mock) => ({
    providers: {
      openai: { base_url: `${mock.url}/v1` },
      anthropic: { base_url: mock.url },
      xai: { base_url: `${mock.url}/xai/v1` },
      moonshot: { type: 'openai-compatible', base_url: `${mock.url}/moonshot/v1`, pricing_provider: 'moonshotai' },
      openrouter: { base_url: `${mock.url}/openrouter/api/v1` },
      // Used by the report test alone, so its counts do not depend on the other tests.
      'or-bill': { type: 'openai-compatible', base_url: `${mock.url}/orbill/api/v1`, pricing_provider: 'openrouter' },
      gemini: { base_url: `${mock.url}/gemini` },
      azure: { base_url: `${mock.url}/azure/openai/v1` },
      dashscope: { type: 'openai-compatible', base_url: `${mock.url}/dashscope/compatible-mode/v1` },
    },
    max_body_bytes: 4096,
  }),
  { apiKey: 'sk-replay' },
)

const expectedCost = (c: { price: { providerId: string; model: string }; billed: Billed[] }) =>
  c.billed.reduce(
    (s, b) =>
      s +
      calcPrice({ input_tokens: 0, output_tokens: 0, ...b }, c.price.model, { providerId: c.price.providerId })!
        .total_price,
    0,
  )
const total = (billed: Billed[], key: string) =>
  billed.some((b) => key in b) ? billed.reduce((s, b) => s + (b[key] ?? 0), 0) : null

/** Send one case through the route its provider speaks; the upstream answers with the recorded shape. */
async function replay(c: UsageCase, stream: boolean): Promise<Span> {
  const upstreamModel = c.model.includes('/') ? c.model.slice(c.model.indexOf('/') + 1) : c.model
  const arrayStream = stream && c.stream!.startsWith('[')
  env.mock.fault({
    ...(c.route === 'gemini' ? { pathPrefix: '/gemini/' } : { model: upstreamModel }),
    times: 1,
    reply: {
      contentType: stream ? (arrayStream ? 'application/json' : 'text/event-stream') : 'application/json',
      body: stream ? c.stream! : JSON.stringify(c.json),
    },
  })
  const messages = [{ role: 'user', content: 'replay' }]
  const [path, body] =
    c.route === 'gemini'
      ? [
          `/p/gemini/v1beta/models/${c.model}:${stream ? `streamGenerateContent${arrayStream ? '' : '?alt=sse'}` : 'generateContent'}`,
          { contents: [{ role: 'user', parts: [{ text: 'replay' }] }] },
        ]
      : c.route === 'messages'
        ? ['/v1/messages', { model: c.model, max_tokens: 4096, stream, messages }]
        : [
            '/v1/chat/completions',
            { model: c.model, stream, ...(stream ? { stream_options: { include_usage: true } } : {}), messages },
          ]
  const res = await env.post(path, body)
  expect(res.status).toBe(200)
  await res.text()
  return clientSpans(await env.trace(res))[0]!
}

describe('usage quirks priced like the provider bills them', () => {
  for (const c of USAGE_CASES) {
    it(c.name, async () => {
      const spans: Span[] = [await replay(c, false)]
      if (c.stream) spans.push(await replay(c, true))
      const want = expectedCost(c)
      for (const s of spans) {
        expect([
          s.stream,
          s.input_tokens,
          s.output_tokens,
          s.cache_read_tokens,
          s.cache_write_tokens,
          s.reasoning_tokens,
        ]).toEqual([
          s.stream,
          total(c.billed, 'input_tokens'),
          total(c.billed, 'output_tokens'),
          total(c.billed, 'cache_read_tokens'),
          total(c.billed, 'cache_write_tokens'),
          c.reasoning,
        ])
        expect(s.cost_source).toBe('genai-prices')
        expect(s.cost_usd).toBeCloseTo(want, 9)
        expect(s.provider_cost_usd).toBe(c.providerCostUsd ?? null)
        for (const [k, v] of Object.entries(c.attributes ?? {}))
          expect([k, Number(s.attributes[k])]).toEqual([k, Number(v)])
      }
      // Streamed and not, the same usage and the same cost.
      if (spans.length === 2) {
        const pick = (s: Span) => [
          s.input_tokens,
          s.output_tokens,
          s.cache_read_tokens,
          s.cache_write_tokens,
          s.reasoning_tokens,
          s.cost_usd,
          s.provider_cost_usd,
        ]
        expect(pick(spans[1]!)).toEqual(pick(spans[0]!))
        expect(spans[1]!.stream).toBe(true)
      }
    })
  }
})

describe('a long Responses stream', () => {
  const body = (stream: boolean) => JSON.stringify({ model: 'gpt-4.1', input: 'write a lot', stream })
  const send = async (reply: string, stream: boolean) => {
    env.mock.fault({
      model: 'gpt-4.1',
      times: 1,
      reply: { contentType: stream ? 'text/event-stream' : 'application/json', body: reply, chunkBytes: 1024 },
    })
    const res = await env.post('/v1/responses', body(stream))
    expect(res.status).toBe(200)
    expect((await res.text()).length).toBe(reply.length)
    return clientSpans(await env.trace(res))[0]!
  }

  it('keeps its usage when response.completed repeats megabytes of output, read in 1 KB writes', async () => {
    const long = longResponses(1_500_000)
    expect(long.stream.length).toBeGreaterThan(3_000_000)
    const want = calcPrice(long.billed, 'gpt-4.1-2025-04-14', { providerId: 'openai' })!.total_price
    for (const s of [await send(long.stream, true), await send(JSON.stringify(long.json), false)]) {
      expect([s.input_tokens, s.cache_read_tokens, s.output_tokens, s.reasoning_tokens]).toEqual([
        812, 512, 24_310, 1024,
      ])
      expect(s.cost_usd).toBeCloseTo(want, 9)
      expect(s.attributes['tracegate.response.capture_gap']).toBe('true')
    }
  })

  it('whose usage could not be kept is flagged usage_unreadable, never silently tokenless', async () => {
    const s = await send(longResponses(1_500_000, true).stream, true)
    expect([s.input_tokens, s.output_tokens, s.cost_usd, s.cost_source]).toEqual([null, null, null, 'usage_unreadable'])
  })
})

describe('unpriced models', () => {
  it('stay flagged unpriced with their tokens', async () => {
    const res = await env.chat('dashscope/qwen-max')
    const trace = await env.trace(res)
    const [attempt] = clientSpans(trace)
    expect([attempt!.cost_usd, attempt!.cost_source, serverSpan(trace).cost_source]).toEqual([
      null,
      'unpriced',
      'unpriced',
    ])
    expect(attempt!.input_tokens).toBe(env.mock.calls.at(-1)!.usage!.prompt_tokens)
  })
})

describe('provider-reported cost beside ours', () => {
  it('reports and slices show both, and where they disagree', async () => {
    const openrouter = USAGE_CASES.find((c) => c.name === 'OpenRouter reported cost kept next to ours')!
    for (let i = 0; i < 3; i++) await replay({ ...openrouter, model: 'or-bill/openai/gpt-4o' }, false)
    await env.gw.flushSpans()
    const from = new Date(Date.now() - 3_600_000).toISOString()
    const to = new Date(Date.now() + 60_000).toISOString()
    const report = (await (
      await fetch(`${env.url}/api/reports/cost?from=${from}&to=${to}&group_by=provider`)
    ).json()) as CostReport
    const row = (p: string) => report.rows.find((r) => r.group === p)!
    const ours = expectedCost(openrouter)
    expect(row('or-bill').provider_reported_requests).toBe(3)
    expect(row('or-bill').provider_cost_usd).toBeCloseTo(3 * 0.00525, 12)
    expect(row('or-bill').cost_usd_provider_reported).toBeCloseTo(3 * ours, 12)
    expect(row('or-bill').cost_gap_usd).toBeCloseTo(3 * (ours - 0.00525), 12)
    // xAI's reported cost is exactly what the price data says.
    expect(row('xai').cost_gap_usd).toBeCloseTo(0, 12)
    expect(row('anthropic').provider_reported_requests).toBe(0)

    const csv = await (
      await fetch(`${env.url}/api/reports/cost?from=${from}&to=${to}&group_by=provider&format=csv`)
    ).text()
    const lines = csv
      .trim()
      .split('\n')
      .map((l) => l.split(','))
    expect(lines[0]!.slice(-3)).toEqual(['provider_reported_requests', 'provider_cost_usd', 'cost_gap_usd'])
    expect(Number(lines.find((l) => l[1] === 'or-bill')!.at(-1))).toBeCloseTo(3 * (ours - 0.00525), 10)

    const slice = (await (
      await fetch(`${env.url}/api/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from, to, group_by: ['provider'], metrics: ['provider_cost_usd', 'cost_gap_usd'] }),
      })
    ).json()) as QueryResponse
    expect(slice.source).toBe('rollup')
    expect(slice.rows.find((r) => r.provider === 'or-bill')!.provider_cost_usd).toBeCloseTo(3 * 0.00525, 12)
    expect(slice.rows.find((r) => r.provider === 'or-bill')!.cost_gap_usd).toBeCloseTo(3 * (ours - 0.00525), 12)

    const browser = await launchBrowser()
    try {
      const page = await browser.newPage()
      await page.goto(
        `${env.url}/reports?from=${from.slice(0, 10)}&to=${new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)}&group_by=provider`,
      )
      const table = page.getByTestId('report-table')
      await table.getByRole('columnheader', { name: 'Provider-reported (USD)' }).waitFor({ timeout: 10_000 })
      expect(await table.getByRole('columnheader', { name: 'Ours − provider' }).count()).toBe(1)
    } finally {
      await browser.close()
    }
  })
})

describe('tracegate prices missing', () => {
  it('lists the unpriced models seen, with their token volumes and the config key to price them', async () => {
    for (let i = 0; i < 2; i++) {
      await env.post('/v1/chat/completions', {
        model: 'dashscope/qwen-max',
        messages: [{ role: 'user', content: `unpriced ${i}` }],
      })
    }
    const usage = env.mock.calls
      .filter((c) => c.path === '/dashscope/compatible-mode/v1/chat/completions')
      .map((c) => c.usage!)
    await env.gw.flushSpans()
    const from = new Date(Date.now() - 3_600_000).toISOString()
    const to = new Date(Date.now() + 60_000).toISOString()
    const { stdout } = await tracegate(['prices', 'missing', '--from', from, '--to', to, '--url', env.url])
    const [header, ...rest] = stdout
      .split('\n\n')[0]!
      .split('\n')
      .map((l) => l.split('\t'))
    expect(header).toEqual(['provider', 'model', 'requests', 'input_tokens', 'output_tokens', 'cache_read_tokens'])
    expect(rest).toEqual([
      [
        'dashscope',
        'qwen-max',
        String(usage.length),
        String(usage.reduce((s, u) => s + u.prompt_tokens!, 0)),
        String(usage.reduce((s, u) => s + u.completion_tokens!, 0)),
        String(usage.reduce((s, u) => s + u.cached_tokens!, 0)),
      ],
    ])
    expect(stdout).toContain('prices:\n  "dashscope/qwen-max": { input_mtok: 0, output_mtok: 0 }')
  })
})
