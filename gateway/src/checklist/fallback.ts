import { TraceResponseSchema, type CheckAlias, type TraceResponse } from '@tracegate/schemas'
import { ADMIN_TOKEN_HEADER, FAULT_KINDS, INJECT_FAULT_HEADER, type FaultKind } from '../routing/injected-fault.ts'
import type { CheckRow } from './rows.ts'
import { chatProbe, embeddingsProbe } from './probe-requests.ts'
import { errorDetail, liveRow, send, type LiveContext, type Sent } from './live.ts'

/** Spans are written in batches off the request path: how long to wait for a probe's trace. */
const TRACE_WAIT_MS = 15_000

type Span = TraceResponse['spans'][number]

interface Pending {
  alias: CheckAlias
  kind: FaultKind
  sent: Sent
}

const targetOf = (s: Span) =>
  `${s.attributes['tracegate.provider'] ?? s.provider}/${s.attributes['gen_ai.request.model']}`

/**
 * One request per fault with the fault injected on the first target tried: every attempt there
 * (its retries too) fails as asked without the provider being called, so the answer must come
 * from a fallback target.
 */
export async function sendFaults(ctx: LiveContext, alias: CheckAlias): Promise<Pending[]> {
  const out: Pending[] = []
  for (const kind of FAULT_KINDS) {
    const headers = { [INJECT_FAULT_HEADER]: kind, ...(ctx.adminToken ? { [ADMIN_TOKEN_HEADER]: ctx.adminToken } : {}) }
    const sent = alias.embedding
      ? await send(ctx, '/v1/embeddings', embeddingsProbe(alias.name), headers)
      : await send(ctx, '/v1/chat/completions', chatProbe('chat', alias.name), headers)
    out.push({ alias, kind, sent })
  }
  return out
}

/** The trace once it holds every attempt, or null when it is not readable within TRACE_WAIT_MS. */
async function readTrace(ctx: LiveContext, id: string, spans: number): Promise<TraceResponse | null> {
  const until = Date.now() + TRACE_WAIT_MS
  const headers = ctx.adminToken ? { authorization: `Bearer ${ctx.adminToken}` } : undefined
  while (Date.now() < until) {
    const res = await fetch(`${ctx.gateway}/api/traces/${id}`, { headers }).catch(() => null)
    if (res?.ok) {
      const trace = TraceResponseSchema.safeParse(await res.json())
      if (trace.success && trace.data.spans.length >= spans) return trace.data
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  return null
}

/** Pass when the trace shows the fault staged on one target and a different one answering. */
function fromTrace(p: Pending, trace: TraceResponse): [boolean, string] {
  const attempts = trace.spans.filter((s) => s.kind === 'client').sort((a, b) => a.attempt - b.attempt)
  const faulted = attempts.filter((s) => s.attributes['tracegate.injected_fault'] === p.kind)
  const last = attempts.at(-1)
  if (!faulted.length || !last) return [false, `no attempt carries tracegate.injected_fault=${p.kind}`]
  const hit = targetOf(faulted[0]!)
  const by = targetOf(last)
  if (last.attributes['tracegate.injected_fault'] || by === hit) return [false, `no fallback answered after ${hit}`]
  return [
    true,
    `${p.kind} injected on ${hit} x${faulted.length} (provider not called), answered by ${by} on attempt ${last.attempt}`,
  ]
}

/** Judge one faulted request: its answer, then its trace (or its headers when the trace is not readable). */
export async function judgeFault(ctx: LiveContext, p: Pending): Promise<CheckRow> {
  const row = liveRow(ctx, 5, `fallback-${p.kind}`, p.alias.name, p.sent)
  const { sent } = p
  if (sent.status !== 200) return row('fail', errorDetail(sent))
  const attempts = Number(sent.headers.get('x-tracegate-attempts') ?? 0)
  const trace = sent.traceId ? await readTrace(ctx, sent.traceId, attempts + 1) : null
  if (trace) {
    const [ok, detail] = fromTrace(p, trace)
    return row(ok ? 'pass' : 'fail', detail)
  }
  // Without the trace, the headers still tell who answered; for a fallback list the first target took the fault.
  const by = `${sent.headers.get('x-tracegate-provider')}/${sent.headers.get('x-tracegate-model')}`
  const first = p.alias.targets[0]!
  const ok = attempts >= 2 && p.alias.strategy === 'fallback' && by !== `${first.provider}/${first.model}`
  return row(
    ok ? 'pass' : 'fail',
    `answered by ${by} after ${attempts} attempts (trace not readable: judged by headers)`,
  )
}
