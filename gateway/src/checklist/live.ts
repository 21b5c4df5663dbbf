import type { CheckAlias } from '@tracegate/schemas'
import type { CheckRow, RowStatus } from './rows.ts'
import { chatProbe, embeddingsProbe, PROBE_TOOL, type ChatProbe } from './probe-requests.ts'

/** Where live probes go and as whom: the gateway itself, so every probe is traced like any request. */
export interface LiveContext {
  gateway: string
  /** The caller key probes are sent with (a gateway key, or a provider key when the gateway has none). */
  key: string | undefined
  adminToken: string | undefined
}

export interface Sent {
  status: number
  headers: Headers
  text: string
  traceId: string
}

/** Probes say who they are, so the explorer can slice them out (workflow tracegate-check). */
export async function send(ctx: LiveContext, path: string, body: object, extra: Record<string, string> = {}) {
  const res = await fetch(`${ctx.gateway}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-tracegate-workflow': 'tracegate-check',
      ...(ctx.key ? { authorization: `Bearer ${ctx.key}` } : {}),
      ...extra,
    },
    body: JSON.stringify(body),
  }).catch((err: Error & { cause?: Error }) => {
    // fetch says only "fetch failed": name the gateway and what went wrong.
    throw new Error(
      `the gateway at ${ctx.gateway} stopped answering during the live checks (${err.cause?.message ?? err.message})`,
    )
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, text, traceId: res.headers.get('x-tracegate-trace-id') ?? '' }
}

export const clip = (s: string, n = 80) => {
  const one = s.replace(/\s+/g, ' ').trim()
  return one.length > n ? `${one.slice(0, n - 1)}…` : one
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

/** The error a non-2xx answer carries, OpenAI's or Anthropic's shape, else its first bytes. */
export function errorDetail(sent: Sent): string {
  const body = parse(sent.text) as { error?: { message?: unknown; code?: unknown } } | null
  const message = typeof body?.error?.message === 'string' ? body.error.message : sent.text
  return `${sent.status} ${clip(message, 160)}`
}

export function liveRow(ctx: LiveContext, step: number, check: string, subject: string, sent: Sent | null) {
  return (status: RowStatus, detail: string): CheckRow => ({
    step,
    check,
    subject,
    status,
    detail,
    ...(sent?.traceId ? { trace_id: sent.traceId, trace_url: `${ctx.gateway}/traces/${sent.traceId}` } : {}),
  })
}

interface ChatAnswer {
  choices?: Array<{
    message?: { content?: unknown; tool_calls?: Array<{ function?: { name?: unknown; arguments?: unknown } }> }
  }>
}

/** What a streamed answer held: its chunks, the text they spelled, and whether `[DONE]` ended it. */
function readStream(text: string) {
  let chunks = 0
  let content = ''
  let done = false
  for (const line of text.split('\n')) {
    if (!line.startsWith('data:')) continue
    const data = line.slice(5).trim()
    if (data === '[DONE]') done = true
    const delta = (parse(data) as { choices?: Array<{ delta?: { content?: unknown } }> } | null)?.choices?.[0]?.delta
    if (!delta) continue
    chunks++
    if (typeof delta.content === 'string') content += delta.content
  }
  return { chunks, content, done }
}

/** Pass or fail for one chat probe's 200 answer. */
function judgeChat(kind: ChatProbe, sent: Sent): [RowStatus, string] {
  if (kind === 'stream') {
    const s = readStream(sent.text)
    const sse = (sent.headers.get('content-type') ?? '').includes('text/event-stream')
    if (sse && s.chunks > 0 && s.done) return ['pass', `${s.chunks} chunks, "${clip(s.content, 40)}"`]
    return [
      'fail',
      `not an SSE stream ending in [DONE] (${s.chunks} chunks, content-type ${sent.headers.get('content-type')})`,
    ]
  }
  const message = (parse(sent.text) as ChatAnswer | null)?.choices?.[0]?.message
  const content = typeof message?.content === 'string' ? message.content : ''
  if (kind === 'chat') return content ? ['pass', `answered "${clip(content, 40)}"`] : ['fail', 'no message content']
  if (kind === 'json') {
    const json = parse(content)
    return json !== null && typeof json === 'object'
      ? ['pass', `valid JSON: ${clip(JSON.stringify(json), 40)}`]
      : ['fail', `content is not a JSON object: "${clip(content, 40)}"`]
  }
  const call = message?.tool_calls?.[0]?.function
  return call?.name === PROBE_TOOL
    ? ['pass', `tool call ${PROBE_TOOL}(${clip(String(call.arguments ?? ''), 40)})`]
    : ['fail', `no ${PROBE_TOOL} tool call in the answer: "${clip(content, 40)}"`]
}

export async function probeChat(ctx: LiveContext, alias: CheckAlias, kind: ChatProbe): Promise<CheckRow> {
  const sent = await send(ctx, '/v1/chat/completions', chatProbe(kind, alias.name))
  const row = liveRow(ctx, 3, kind, alias.name, sent)
  if (sent.status !== 200) return row('fail', errorDetail(sent))
  return row(...judgeChat(kind, sent))
}

export async function probeEmbeddings(ctx: LiveContext, alias: CheckAlias): Promise<CheckRow> {
  const sent = await send(ctx, '/v1/embeddings', embeddingsProbe(alias.name))
  const row = liveRow(ctx, 3, 'embeddings', alias.name, sent)
  if (sent.status !== 200) return row('fail', errorDetail(sent))
  const vector = (parse(sent.text) as { data?: Array<{ embedding?: unknown }> } | null)?.data?.[0]?.embedding
  if (Array.isArray(vector) && vector.length) return row('pass', `${vector.length} dimensions`)
  if (typeof vector === 'string' && vector) return row('pass', 'a base64 vector')
  return row('fail', 'no embedding in the answer')
}
