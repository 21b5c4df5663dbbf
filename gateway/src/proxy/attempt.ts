import type { ServerResponse } from 'node:http'
import type { Dispatcher } from 'undici'
import type { AttemptObservation } from '../spans/observation.ts'
import type { Wire } from '../providers/types.ts'
import { nowMs } from '../clock.ts'
import { firstTokenScanner, type FirstTokenScanner, type StreamFormat } from '../providers/first-token.ts'
import { BodyCapture } from './body-capture.ts'
import { downstreamHeaders } from './headers.ts'
import { UsageChunkFilter } from './usage-chunk-filter.ts'
import { classifyTransportError, streamErrorEvent } from './upstream-errors.ts'

export interface AttemptRequest {
  dispatcher: Dispatcher
  origin: string
  path: string
  method: Dispatcher.HttpMethod
  headers: Record<string, string | string[]>
  body: Buffer | null
  /** Monotonic ms (nowMs) by which the whole request must be done. */
  deadline: number
  /** Limit for the response headers of this attempt. */
  attemptTimeoutMs: number | undefined
  /** Streams: no first body byte within this ends the attempt (nothing has reached the client yet). */
  firstByteTimeoutMs: number | undefined
  /** Keep an error response from the client (another attempt may still answer). */
  mayHold: boolean
  wire: Wire
  stream: boolean
  stripUsageChunk: boolean
  /** Called with the status when response headers arrive. */
  onResponseStart?: (status: number) => void
  /** How this stream marks output, for time to first token; undefined when it has no token stream. */
  firstToken: StreamFormat | undefined
  captureHead: number
  captureTail: number
  /** Added to the client's response headers. */
  responseHeaders: Record<string, string>
}

/** An upstream error response kept back from the client while other attempts remain. */
export interface HeldResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer[]
}

export type AttemptResult = { relayed: true } | { relayed: false; held: HeldResponse | null }

class Stop extends Error {
  constructor(
    readonly kind: 'timeout' | 'cancelled',
    message: string,
  ) {
    super(message)
  }
}

/**
 * Relays one upstream response to the client through undici's low-level handler callbacks:
 * no intermediate stream objects, each chunk written as received and observed on the side.
 * Nothing reaches the client before the first body byte of a stream, so a stream that fails or
 * stays silent before then can still be retried elsewhere.
 */
class RelayHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null
  private stop: Stop | null = null
  private headSent = false
  private pendingHead: Record<string, string | string[] | undefined> | null = null
  private held: HeldResponse | null = null
  private filter: UsageChunkFilter | null = null
  private scanner: FirstTokenScanner | null = null
  private streamed = false
  private timers: NodeJS.Timeout[] = []
  /** Cleared when what it waits for arrives: response headers, then the first body byte. */
  private waitTimer: NodeJS.Timeout | null = null
  private settled = false

  constructor(
    private readonly req: AttemptRequest,
    private readonly res: ServerResponse,
    private readonly obs: AttemptObservation,
    private readonly done: (r: AttemptResult) => void,
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

  onResponseStart(
    _c: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    const { obs, req } = this
    this.clearWait()
    obs.httpStatus = status
    req.onResponseStart?.(status)
    obs.response = new BodyCapture(req.captureHead, req.captureTail)
    if (status >= 400) {
      obs.errorType = String(status)
      obs.errorMessage = `upstream answered ${status}`
      if (req.mayHold) {
        this.held = { status, headers, body: [] }
        return
      }
    }
    this.streamed = req.stream && status < 400
    if (req.stripUsageChunk && status < 400) this.filter = new UsageChunkFilter()
    if (this.streamed && req.firstToken) this.scanner = firstTokenScanner(req.firstToken)
    if (!this.streamed) return this.sendHead(headers)
    this.pendingHead = headers
    this.waitFor(req.firstByteTimeoutMs, 'first byte')
  }

  private sendHead(headers: Record<string, string | string[] | undefined>): void {
    this.pendingHead = null
    this.headSent = true
    this.res.writeHead(this.obs.httpStatus, downstreamHeaders(headers, this.req.responseHeaders, this.filter !== null))
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const { obs, res } = this
    obs.response!.push(chunk)
    if (this.held) return void this.held.body.push(chunk)
    if (obs.ttfbMs === null) obs.ttfbMs = nowMs() - obs.startMs
    if (this.scanner?.seen(chunk)) {
      obs.ttftMs = nowMs() - obs.startMs
      this.scanner = null
    }
    if (this.pendingHead) {
      this.clearWait()
      this.sendHead(this.pendingHead)
    }
    let ok = true
    if (this.filter) for (const part of this.filter.push(chunk)) ok = res.write(part)
    else ok = res.write(chunk)
    if (!ok) {
      controller.pause()
      res.once('drain', () => controller.resume())
    }
  }

  onResponseEnd(): void {
    if (this.held) return this.finish({ relayed: false, held: this.held })
    if (this.pendingHead) this.sendHead(this.pendingHead)
    const rest = this.filter?.end()
    if (rest) this.res.write(rest)
    this.res.end()
    this.finish({ relayed: true })
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    const { obs, res } = this
    const e = this.stop ? { type: this.stop.kind, message: this.stop.message } : classifyTransportError(err)
    obs.errorType = this.headSent && this.streamed && e.type !== 'cancelled' ? 'stream_interrupted' : e.type
    obs.errorMessage = e.message
    if (!this.headSent) return this.finish({ relayed: false, held: null })
    if (!res.destroyed) {
      if (this.streamed && e.type !== 'cancelled')
        res.end(streamErrorEvent(this.req.wire, `upstream stream interrupted: ${e.message}`))
      else res.destroy()
    }
    this.finish({ relayed: true })
  }

  private finish(result: AttemptResult): void {
    if (this.settled) return
    this.settled = true
    for (const t of this.timers) clearTimeout(t)
    this.clearWait()
    this.obs.endMs = nowMs()
    this.done(result)
  }
}

/**
 * Send one upstream attempt. Resolves `relayed: true` once a response went to the client;
 * `relayed: false` when nothing did (transport failure, timeout, or an error response held back
 * because another attempt may still answer).
 */
export function relayAttempt(
  req: AttemptRequest,
  res: ServerResponse,
  obs: AttemptObservation,
): Promise<AttemptResult> {
  return new Promise((resolve) => {
    const onClose = () => {
      if (!res.writableFinished) handler.abort(new Stop('cancelled', 'client went away'))
    }
    const handler = new RelayHandler(req, res, obs, (result) => {
      res.off('close', onClose)
      resolve(result)
    })
    if (res.destroyed) {
      obs.errorType = 'cancelled'
      obs.errorMessage = 'client went away'
      obs.endMs = nowMs()
      return resolve({ relayed: false, held: null })
    }
    res.once('close', onClose)
    handler.after(req.deadline - nowMs(), () => new Stop('timeout', 'request timed out (timeout_ms)'))
    handler.waitFor(req.attemptTimeoutMs, 'response headers')
    // Our own timers bound the attempt (whole-request deadline, first token), so undici's are off.
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
