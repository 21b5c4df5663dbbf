import type { ServerResponse } from 'node:http'
import type { Dispatcher } from 'undici'
import type { AttemptObservation } from '../spans/observation.ts'
import type { WireFormat } from '../wires/types.ts'
import type { FirstTokenScanner } from '../wires/first-token.ts'
import { nowMs } from '../clock.ts'
import { responseCapture, type BodyCapture } from './body-capture.ts'
import { UsageChunkFilter } from './usage-chunk-filter.ts'
import { classifyTransportError } from './transport-errors.ts'

export type UpstreamHeaders = Record<string, string | string[] | undefined>

export interface UpstreamCall {
  dispatcher: Dispatcher
  origin: string
  path: string
  method: Dispatcher.HttpMethod
  headers: Record<string, string | string[]>
  body: Buffer | null
  /** Monotonic ms (nowMs) by which the whole request, its streamed body included, must be done. */
  deadline: number
  /** Limit for the response headers of this attempt. */
  attemptTimeoutMs: number | undefined
  /** Streams: no first body byte within this ends the attempt (nothing has reached the client yet). */
  firstByteTimeoutMs: number | undefined
  /** Read an error response whole instead of handing it over: another attempt may still answer. */
  mayHold: boolean
  stream: boolean
  wire: WireFormat
  /** Take out the usage chunk the gateway asked for on the client's behalf. */
  stripUsageChunk: boolean
  /** Called with the status when response headers arrive. */
  onResponseStart?: (status: number) => void
  /** At least the largest request body: a response echoing it is still read whole (body-capture.ts). */
  captureAtLeast: number
}

/** An upstream error response read whole, kept back while other attempts may still answer. */
/** The most of an error response held back in memory per attempt. */
const MAX_HELD_BYTES = 1 << 20

export interface HeldResponse {
  status: number
  headers: UpstreamHeaders
  body: Buffer
}

/** The rest of an upstream body, still arriving: relayed to the client as it comes, never buffered. */
export interface LiveBody {
  /** Relay every byte to `res` and end it; resolves with `finished`. */
  relay(res: ServerResponse): Promise<void>
  /** Resolves once the attempt is over, relayed or not: its observation is complete. */
  readonly finished: Promise<void>
  /**
   * Before relaying: resolves true once the whole body has arrived (held until relayed), false as
   * soon as more than `maxBytes` wait or the upstream broke, so nothing large is held back.
   */
  whole(maxBytes: number): Promise<boolean>
}

/** An upstream response whose head is in and whose body is still arriving. */
export interface UpstreamResponse {
  kind: 'response'
  status: number
  headers: UpstreamHeaders
  body: LiveBody
  /** The gateway takes bytes out of the body (the usage chunk it asked for): its length changes. */
  rewritesBody: boolean
}

export type CallResult =
  | UpstreamResponse
  | { kind: 'held'; held: HeldResponse }
  /** Nothing came back that could be relayed: the attempt's errorType says why. */
  | { kind: 'failed' }

class Stop extends Error {
  constructor(
    readonly kind: 'timeout' | 'cancelled',
    message: string,
  ) {
    super(message)
  }
}

/**
 * One upstream attempt through undici's low-level handler callbacks: no intermediate stream
 * objects, each chunk observed on the side as it passes. The call resolves when there is
 * something to answer with: at the response headers, or for a stream at its first body byte, so
 * a stream that fails or stays silent before then can still be retried elsewhere. From then on
 * the chunks flow to whoever relays the body (queued only for the instant before it attaches).
 */
class CallHandler implements Dispatcher.DispatchHandler, LiveBody {
  private controller: Dispatcher.DispatchController | null = null
  private stop: Stop | null = null
  /** An error response held back whole (its chunks until it ends), in case another attempt answers. */
  private held: { status: number; headers: UpstreamHeaders; chunks: Buffer[]; bytes: number } | null = null
  private capture: BodyCapture | null = null
  private filter: UsageChunkFilter | null = null
  private scanner: FirstTokenScanner | null = null
  private streamed = false
  private headers: UpstreamHeaders = {}
  private timers: NodeJS.Timeout[] = []
  /** Cleared when what it waits for arrives: response headers, then the first body byte. */
  private waitTimer: NodeJS.Timeout | null = null
  /** The call has resolved with a response to relay. */
  private handedOver = false
  private sink: ServerResponse | null = null
  private queued: Buffer[] = []
  private queuedBytes = 0
  private wholeWaiter: { maxBytes: number; resolve: (whole: boolean) => void } | null = null
  private upstreamEnded = false
  private broken: { type: string; message: string } | null = null
  private settled = false
  private resolveFinished: () => void = () => undefined
  readonly finished = new Promise<void>((resolve) => (this.resolveFinished = resolve))

  constructor(
    private readonly req: UpstreamCall,
    private readonly obs: AttemptObservation,
    private readonly resolveCall: (r: CallResult) => void,
    private readonly onSettled: () => void,
  ) {}

  /** End the attempt early: the client went away, or a timeout passed. */
  abort(stop: Stop): void {
    if (this.settled || this.stop) return
    this.stop = stop
    this.controller?.abort(stop)
  }

  after(ms: number, stop: () => Stop): void {
    this.timers.push(setTimeout(() => this.abort(stop()), Math.max(0, ms)))
  }

  waitFor(ms: number | undefined, what: string): void {
    this.clearWait()
    if (ms !== undefined)
      this.waitTimer = setTimeout(() => this.abort(new Stop('timeout', `no ${what} within ${ms} ms`)), ms)
  }

  private clearWait(): void {
    if (this.waitTimer) clearTimeout(this.waitTimer)
    this.waitTimer = null
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller
    if (this.stop) controller.abort(this.stop)
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: UpstreamHeaders): void {
    const { obs, req } = this
    this.clearWait()
    obs.httpStatus = status
    req.onResponseStart?.(status)
    obs.response = this.capture = responseCapture(req.captureAtLeast)
    if (status >= 400) {
      obs.errorType = String(status)
      obs.errorMessage = `upstream answered ${status}`
      if (req.mayHold) {
        this.held = { status, headers, chunks: [], bytes: 0 }
        return
      }
    }
    this.headers = headers
    this.streamed = req.stream && status < 400
    if (req.stripUsageChunk && status < 400) this.filter = new UsageChunkFilter()
    if (this.streamed) this.scanner = req.wire.firstToken()
    if (!this.streamed) return this.handOver()
    this.waitFor(req.firstByteTimeoutMs, 'first byte')
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const { obs } = this
    this.capture!.push(chunk)
    if (this.held) return this.hold(chunk)
    if (obs.ttfbMs === null) obs.ttfbMs = nowMs() - obs.startMs
    if (this.scanner?.seen(chunk)) {
      obs.ttftMs = nowMs() - obs.startMs
      this.scanner = null
    }
    if (!this.handedOver) {
      this.clearWait()
      this.handOver()
    }
    if (!this.sink) return this.queue(chunk)
    if (!this.write(chunk)) {
      controller.pause()
      this.sink.once('drain', () => controller.resume())
    }
  }

  onResponseEnd(): void {
    if (this.held) {
      const { status, headers, chunks } = this.held
      return this.finish({ kind: 'held', held: { status, headers, body: Buffer.concat(chunks) } })
    }
    if (!this.handedOver) this.handOver()
    this.upstreamEnded = true
    this.answerWhole(true)
    if (this.sink) this.endSink()
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    const { obs } = this
    const e = this.stop ? { type: this.stop.kind, message: this.stop.message } : classifyTransportError(err)
    obs.errorType = this.handedOver && this.streamed && e.type !== 'cancelled' ? 'stream_interrupted' : e.type
    obs.errorMessage = e.message
    if (!this.handedOver) return this.finish({ kind: 'failed' })
    this.broken = e
    this.answerWhole(false)
    if (this.sink) this.breakSink()
  }

  /**
   * Keep a chunk of an error response held back. One larger than MAX_HELD_BYTES is no error body
   * a retry decision needs; memory per request stays bounded: it goes to the client as it comes.
   */
  private hold(chunk: Buffer): void {
    const held = this.held!
    held.chunks.push(chunk)
    held.bytes += chunk.length
    if (held.bytes <= MAX_HELD_BYTES) return
    this.held = null
    this.headers = held.headers
    this.queued = held.chunks
    this.handOver()
  }

  private handOver(): void {
    this.handedOver = true
    this.resolveCall({
      kind: 'response',
      status: this.obs.httpStatus,
      headers: this.headers,
      body: this,
      rewritesBody: this.filter !== null,
    })
  }

  private queue(chunk: Buffer): void {
    this.queued.push(chunk)
    this.queuedBytes += chunk.length
    if (this.wholeWaiter && this.queuedBytes > this.wholeWaiter.maxBytes) this.answerWhole(false)
  }

  private answerWhole(whole: boolean): void {
    this.wholeWaiter?.resolve(whole)
    this.wholeWaiter = null
  }

  whole(maxBytes: number): Promise<boolean> {
    if (this.upstreamEnded) return Promise.resolve(true)
    if (this.broken || this.queuedBytes > maxBytes) return Promise.resolve(false)
    return new Promise((resolve) => (this.wholeWaiter = { maxBytes, resolve }))
  }

  relay(res: ServerResponse): Promise<void> {
    this.sink = res
    for (const chunk of this.queued) this.write(chunk)
    this.queued = []
    if (this.upstreamEnded) this.endSink()
    else if (this.broken) this.breakSink()
    return this.finished
  }

  private write(chunk: Buffer): boolean {
    const sink = this.sink!
    if (!this.filter) return sink.write(chunk)
    let ok = true
    for (const part of this.filter.push(chunk)) ok = sink.write(part)
    return ok
  }

  private endSink(): void {
    const rest = this.filter?.end()
    if (rest) this.sink!.write(rest)
    this.sink!.end()
    this.settle()
  }

  /** The upstream broke after the client got the head: end the stream the way the provider would. */
  private breakSink(): void {
    const sink = this.sink!
    const e = this.broken!
    if (!sink.destroyed) {
      if (this.streamed && e.type !== 'cancelled')
        sink.end(this.req.wire.streamError(`upstream stream interrupted: ${e.message}`))
      else sink.destroy()
    }
    this.settle()
  }

  private finish(result: CallResult): void {
    this.settle()
    this.resolveCall(result)
  }

  private settle(): void {
    if (this.settled) return
    this.settled = true
    for (const t of this.timers) clearTimeout(t)
    this.clearWait()
    this.obs.endMs = nowMs()
    this.onSettled()
    this.resolveFinished()
  }
}

/**
 * Send one upstream attempt. Resolves with a response to relay (its body still arriving), an
 * error response held back whole, or a failure (transport error, timeout, the client gone).
 * `client` is watched so that a client going away ends the upstream call at once.
 */
export function callUpstream(req: UpstreamCall, client: ServerResponse, obs: AttemptObservation): Promise<CallResult> {
  return new Promise((resolve) => {
    if (client.destroyed) {
      obs.errorType = 'cancelled'
      obs.errorMessage = 'client went away'
      obs.endMs = nowMs()
      return resolve({ kind: 'failed' })
    }
    const onClose = () => {
      if (!client.writableFinished) handler.abort(new Stop('cancelled', 'client went away'))
    }
    const handler = new CallHandler(req, obs, resolve, () => client.off('close', onClose))
    client.once('close', onClose)
    handler.after(req.deadline - nowMs(), () => new Stop('timeout', 'request timed out (timeout_ms)'))
    handler.waitFor(req.attemptTimeoutMs, 'response headers')
    // Our own timers bound the attempt (whole-request deadline, first byte), so undici's are off.
    req.dispatcher.dispatch(
      {
        origin: req.origin,
        path: req.path,
        method: req.method,
        headers: req.headers,
        body: req.body,
        headersTimeout: 0,
        bodyTimeout: 0,
      },
      handler,
    )
  })
}
