import { newSpanId, newTraceId } from './ids.ts'

export interface TraceContext {
  traceId: string
  /** The caller's span, '' when the trace starts here. */
  parentSpanId: string
  traceState: string
  sampled: boolean
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/** W3C trace context: continue the caller's trace when its traceparent is valid, else start one. */
export function traceContextFrom(
  traceparent: string | string[] | undefined,
  tracestate: string | string[] | undefined,
): TraceContext {
  const m = typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent.trim().toLowerCase()) : null
  if (m && m[1] !== 'ff' && !/^0+$/.test(m[2]!) && !/^0+$/.test(m[3]!)) {
    const state = typeof tracestate === 'string' ? tracestate.slice(0, 512) : ''
    return { traceId: m[2]!, parentSpanId: m[3]!, traceState: state, sampled: (parseInt(m[4]!, 16) & 1) === 1 }
  }
  return { traceId: newTraceId(), parentSpanId: '', traceState: '', sampled: true }
}

export function traceparentFor(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`
}

export { newSpanId }
