/** What `npm run bench:budgets` sends through the gateways and reads back from their spans. */
import { Agent, request } from 'undici'

export const ADMIN_TOKEN = 'bench-budgets-admin-token'

/**
 * gpt-4o ($2.50 / $10 per million tokens in the bundled prices) answering 1,296 output tokens (the
 * mock sends one token per `x-mock-chunks` chunk) to a short prompt: ≈ $0.0130 a request. max_tokens
 * just above the answer makes the hold (the most the request can cost) barely more than its cost,
 * so the budget fills to within one request of its limit: the tightest case for overshoot.
 */
export const STREAM_CHUNKS = 1296
export const STREAM_MAX_TOKENS = 1300
const STREAM_BODY = JSON.stringify({
  model: 'gpt-4o',
  stream: true,
  stream_options: { include_usage: true },
  max_tokens: STREAM_MAX_TOKENS,
  messages: [{ role: 'user', content: 'Write a long story.' }],
})
const SMALL_BODY = JSON.stringify({ model: 'gpt-4o', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })

/** No connection limit: 500 requests are 500 connections open at once. */
const agent = new Agent({ keepAliveTimeout: 30_000, pipelining: 1 })

export interface Answer {
  status: number
  /** The error code of a refusal; for a stream, 'complete' once it ended with [DONE] after its usage chunk. */
  code: string
}

const headers = (key: string, extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  authorization: `Bearer ${key}`,
  ...extra,
})

async function errorCode(body: { json(): Promise<unknown> }): Promise<string> {
  const j = (await body.json()) as { error?: { code?: string; type?: string } }
  // The budget error is the same in both fields (OpenAI's SDKs read either).
  return j.error?.code === j.error?.type ? String(j.error?.code) : `${j.error?.type}/${j.error?.code}`
}

/** One streaming chat request, read to its end; only the tail is kept, to tell a finished stream. */
export async function streamChat(url: string, key: string): Promise<Answer> {
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    dispatcher: agent,
    headers: headers(key, { 'x-mock-chunks': String(STREAM_CHUNKS) }),
    body: STREAM_BODY,
  })
  if (res.statusCode !== 200) return { status: res.statusCode, code: await errorCode(res.body) }
  let tail = ''
  for await (const chunk of res.body) tail = (tail + chunk).slice(-400)
  const complete = /"usage":\{"prompt_tokens"/.test(tail) && tail.endsWith('data: [DONE]\n\n')
  return { status: 200, code: complete ? 'complete' : 'truncated' }
}

/** One small non-streaming chat request (the rpm and latency runs). */
export async function chat(url: string, key: string): Promise<Answer> {
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    dispatcher: agent,
    headers: headers(key),
    body: SMALL_BODY,
  })
  if (res.statusCode !== 200) return { status: res.statusCode, code: await errorCode(res.body) }
  await res.body.dump({ limit: Infinity })
  return { status: 200, code: 'ok' }
}

export interface Recorded {
  /** Request spans of the key that reached an upstream (the query's rollup leaves out the gateway's own refusals). */
  requests: number
  /** Of them, answered 200. */
  ok: number
  costUsd: number
}

async function query(url: string, keyName: string, since: number): Promise<Recorded> {
  const res = await request(`${url}/api/query`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({
      from: new Date(since - 60_000).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
      group_by: ['status'],
      metrics: ['requests', 'cost_usd'],
      filters: [{ dimension: 'key', op: 'eq', value: keyName }],
    }),
  })
  if (res.statusCode !== 200) throw new Error(`POST /api/query answered ${res.statusCode}: ${await res.body.text()}`)
  const { rows } = (await res.body.json()) as { rows: Array<{ status: string; requests: number; cost_usd: number }> }
  const sum = (pick: (r: (typeof rows)[number]) => number) => rows.reduce((n, r) => n + pick(r), 0)
  return {
    requests: sum((r) => Number(r.requests)),
    ok: sum((r) => (r.status.toLowerCase() === 'ok' ? Number(r.requests) : 0)),
    costUsd: sum((r) => Number(r.cost_usd ?? 0)),
  }
}

/**
 * What the gateways recorded for a key, once the `expected` requests that reached the upstream are
 * in storage: spans are written in batches after the answer, and a budget settles when its span is built.
 */
export async function recorded(urls: string[], keyName: string, expected: number, since: number): Promise<Recorded> {
  let seen = ''
  for (let i = 0; i < 300; i++) {
    const parts = await Promise.all(urls.map((u) => query(u, keyName, since)))
    const total = {
      requests: parts.reduce((n, p) => n + p.requests, 0),
      ok: parts.reduce((n, p) => n + p.ok, 0),
      costUsd: parts.reduce((n, p) => n + p.costUsd, 0),
    }
    if (total.requests >= expected) return total
    seen = JSON.stringify(total)
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`the spans of ${keyName} never all reached storage (${expected} expected, found ${seen})`)
}
