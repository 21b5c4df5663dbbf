import type { Lease } from '../limits/types.ts'
import type { ProviderAdapter } from '../providers/types.ts'
import type { WireFormat } from '../wires/types.ts'
import type { Attribution } from './attribution.ts'

/** The part of a response body kept for reading its usage (see upstream/body-capture.ts). */
export interface CapturedBody {
  text(): string
  /** Bytes between the kept head and tail were dropped. */
  readonly gap: boolean
}

/**
 * What the request path observed, and nothing more: plain values and buffer references.
 * Turning this into rows (parsing usage, pricing, formatting) happens later, off the path.
 */
export interface AttemptObservation {
  spanId: string
  index: number
  adapter: ProviderAdapter
  model: string
  path: string
  startMs: number
  endMs: number
  /** First output token of a stream (text, tool-call or reasoning delta), ms since the attempt started; null when none. */
  ttftMs: number | null
  /** First response body byte, ms since the attempt started; null when no body arrived. */
  ttfbMs: number | null
  httpStatus: number
  /** '' on success; else an HTTP status ('429'), or timeout / connect_error / reset / stream_interrupted / cancelled. */
  errorType: string
  errorMessage: string
  response: CapturedBody | null
  /** Position of the target in the alias's list. */
  targetIndex: number
  /** Retries of this same target before this attempt (http.request.resend_count). */
  resendCount: number
  /** Another target than the first one tried. */
  isFallback: boolean
  /** Why the previous attempt was not the last ('' for the first attempt). */
  retryReason: string
  /** Time waited before this attempt (backoff or Retry-After). */
  backoffMs: number
  /** The failure this attempt was synthesised as (x-tracegate-inject-fault); the upstream was not called. */
  injectedFault?: string
}

export interface SpanEvent {
  timeMs: number
  name: string
  attributes: Record<string, string>
}

export interface RequestObservation {
  traceId: string
  spanId: string
  parentSpanId: string
  traceState: string
  route: string
  method: string
  /** The route's wire format: its operation, and how its responses are read. */
  wire: WireFormat
  stream: boolean
  requestedModel: string
  alias: string
  startMs: number
  endMs: number
  httpStatus: number
  errorType: string
  errorMessage: string
  attribution: Attribution
  keyName: string
  requestBody: Buffer | null
  /** Sampling parameters the client set, for gen_ai.request.* attributes. */
  requestParams: Record<string, number>
  attempts: AttemptObservation[]
  /** Things the router did that are not attempts (targets skipped in cooldown…). */
  events: SpanEvent[]
  /** Wall clock minus the monotonic clock at the start: span timestamps are wall time, durations monotonic. */
  clockOffsetMs: number
  /** Set once the request was handed to the recorder: a request is recorded once, whatever fails after. */
  recorded: boolean
  /** What budgets and rate limits hold for this request until its cost is known, and the headers they add. */
  limits?: { lease: Lease; reservedUsd: number; headers: Record<string, string> }
  /** Drawn for shadow traffic: its answers are summarised for comparison (tracegate.output.*). */
  shadow?: { asksJson: boolean }
}

/** What differs between attempts when one starts; the rest starts blank and fills in as it runs. */
export type AttemptStart = Pick<
  AttemptObservation,
  | 'spanId'
  | 'index'
  | 'adapter'
  | 'model'
  | 'path'
  | 'targetIndex'
  | 'resendCount'
  | 'isFallback'
  | 'retryReason'
  | 'backoffMs'
>

/** Built field by field, not spread: this runs for every attempt, on the request path. */
export function startAttempt(s: AttemptStart, startMs: number): AttemptObservation {
  return {
    spanId: s.spanId,
    index: s.index,
    adapter: s.adapter,
    model: s.model,
    path: s.path,
    startMs,
    endMs: 0,
    ttftMs: null,
    ttfbMs: null,
    httpStatus: 0,
    errorType: '',
    errorMessage: '',
    response: null,
    targetIndex: s.targetIndex,
    resendCount: s.resendCount,
    isFallback: s.isFallback,
    retryReason: s.retryReason,
    backoffMs: s.backoffMs,
  }
}
