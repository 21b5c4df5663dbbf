import type { ServerResponse } from 'node:http'
import type { Dispatcher } from 'undici'
import type { AttemptObservation } from '../spans/observation.ts'
import type { Wire } from '../providers/types.ts'
import { nowMs } from '../spans/ids.ts'
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
  timeoutMs: number
  wire: Wire
  stream: boolean
  stripUsageChunk: boolean
  captureHead: number
  captureTail: number
  /** Added to the client's response headers. */
  responseHeaders: Record<string, string>
}

class ClientGone extends Error {
  override name = 'AbortError'
}

/**
 * Relays one upstream response to the client through undici's low-level handler callbacks:
 * no intermediate stream objects, each chunk written as received and observed on the side.
 */
class RelayHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null
  private started = false
  private clientGone = false
  private filter: UsageChunkFilter | null = null
  private streamed = false

  constructor(
    private readonly req: AttemptRequest,
    private readonly res: ServerResponse,
    private readonly obs: AttemptObservation,
    private readonly done: (relayed: boolean) => void,
  ) {}

  /** The client went away: stop the upstream at once. */
  clientClosed(): void {
    this.clientGone = true
    this.controller?.abort(new ClientGone('client went away'))
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller
    if (this.clientGone) controller.abort(new ClientGone('client went away'))
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>): void {
    const { obs, req } = this
    this.started = true
    obs.httpStatus = status
    if (status >= 400) {
      obs.errorType = String(status)
      obs.errorMessage = `upstream answered ${status}`
    }
    this.streamed = req.stream && status < 400
    if (req.stripUsageChunk && status < 400) this.filter = new UsageChunkFilter()
    obs.response = new BodyCapture(req.captureHead, req.captureTail)
    this.res.writeHead(status, downstreamHeaders(headers, req.responseHeaders, this.filter !== null))
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const { obs, res } = this
    if (this.streamed && obs.ttftMs === null) obs.ttftMs = nowMs() - obs.startMs
    obs.response!.push(chunk)
    let ok = true
    if (this.filter) for (const part of this.filter.push(chunk)) ok = res.write(part)
    else ok = res.write(chunk)
    if (!ok) {
      controller.pause()
      res.once('drain', () => controller.resume())
    }
  }

  onResponseEnd(): void {
    const rest = this.filter?.end()
    if (rest) this.res.write(rest)
    this.res.end()
    this.finish(true)
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    const { obs, res } = this
    const e = classifyTransportError(err)
    obs.errorType = this.clientGone ? 'client_disconnected' : this.started && this.streamed ? 'stream_interrupted' : e.type
    obs.errorMessage = e.message
    if (!this.started) return this.finish(false)
    if (!res.destroyed) {
      if (this.streamed && !this.clientGone) res.end(streamErrorEvent(this.req.wire, `upstream stream interrupted: ${e.message}`))
      else res.destroy()
    }
    this.finish(true)
  }

  private finish(relayed: boolean): void {
    this.obs.endMs = nowMs()
    this.done(relayed)
  }
}

/**
 * Send one upstream attempt and relay its response to the client as it arrives. Resolves
 * `false` when the upstream failed before any byte went to the client (the caller decides what
 * to answer), `true` once a response was relayed.
 */
export function relayAttempt(req: AttemptRequest, res: ServerResponse, obs: AttemptObservation): Promise<boolean> {
  return new Promise((resolve) => {
    const handler = new RelayHandler(req, res, obs, resolve)
    res.once('close', () => {
      if (!res.writableFinished) handler.clientClosed()
    })
    req.dispatcher.dispatch({
      origin: req.origin, path: req.path, method: req.method, headers: req.headers, body: req.body,
      headersTimeout: req.timeoutMs, bodyTimeout: req.timeoutMs,
    }, handler)
  })
}
