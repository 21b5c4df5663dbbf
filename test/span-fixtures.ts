import { spanRowValues, type SpanRow } from '../gateway/src/storage/span-row.ts'
import { buildRows } from '../gateway/src/spans/build.ts'
import { Pricer } from '../gateway/src/spans/pricing.ts'
import { ProviderRegistry } from '../gateway/src/providers/registry.ts'
import { parseConfig } from '../gateway/src/config/load.ts'
import { openaiChat } from '../gateway/src/wires/openai-chat.ts'
import type { RequestObservation } from '../gateway/src/spans/observation.ts'

const adapter = new ProviderRegistry(parseConfig({})).get('openai')!
const opts = { serviceName: 'tracegate', captureBodies: true, maxBodyBytes: 1000, pricer: new Pricer({}), resource: {} }

/** The span rows (as the spool stores them) one recorded request would have produced: a request span and one attempt. */
export const requestRowValues = (traceId: string): unknown[][] => requestRows(traceId).map(spanRowValues)

/** The rows of one recorded request, as the recorder hands them to the writer. */
export function requestRows(traceId: string): SpanRow[] {
  const t = Date.now() - 60_000
  const o: RequestObservation = {
    traceId,
    spanId: traceId.slice(0, 16),
    parentSpanId: '',
    traceState: '',
    route: '/v1/chat/completions',
    method: 'POST',
    wire: openaiChat,
    stream: false,
    requestedModel: 'gpt-4o',
    alias: '',
    startMs: t,
    endMs: t + 5,
    httpStatus: 200,
    errorType: '',
    errorMessage: '',
    attribution: { workflow: 'replay', team: '', user: '', sessionId: '', tags: [], meta: {} },
    keyName: '',
    requestBody: null,
    requestParams: {},
    events: [],
    clockOffsetMs: 0,
    recorded: false,
    attempts: [
      {
        spanId: traceId.slice(16),
        index: 1,
        adapter,
        model: 'gpt-4o',
        path: '/v1/chat/completions',
        startMs: t + 1,
        endMs: t + 4,
        ttftMs: null,
        ttfbMs: null,
        httpStatus: 200,
        errorType: '',
        errorMessage: '',
        response: null,
        targetIndex: 0,
        resendCount: 0,
        isFallback: false,
        retryReason: '',
        backoffMs: 0,
      },
    ],
  }
  return buildRows(o, opts)
}

/** One spool record payload: JSON lines. */
export const spoolPayload = (rows: unknown[][]) => Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n'))
