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
  signal: AbortSignal
}

/**
 * Send one upstream attempt and relay its response to the client as it arrives, observing it on
 * the side. Resolves `false` when the upstream could not be reached before any byte went to the
 * client (the caller decides what to answer); `true` once a response was relayed.
 */
export async function relayAttempt(req: AttemptRequest, res: ServerResponse, obs: AttemptObservation): Promise<boolean> {
  let upstream: Dispatcher.ResponseData
  try {
    upstream = await req.dispatcher.request({
      origin: req.origin, path: req.path, method: req.method, headers: req.headers, body: req.body,
      headersTimeout: req.timeoutMs, bodyTimeout: req.timeoutMs, signal: req.signal,
    })
  } catch (err) {
    const e = classifyTransportError(err)
    obs.errorType = req.signal.aborted ? 'client_disconnected' : e.type
    obs.errorMessage = e.message
    obs.endMs = nowMs()
    return false
  }
  obs.httpStatus = upstream.statusCode
  if (upstream.statusCode >= 400) {
    obs.errorType = String(upstream.statusCode)
    obs.errorMessage = `upstream answered ${upstream.statusCode}`
  }
  const strip = req.stripUsageChunk && upstream.statusCode < 400
  res.writeHead(upstream.statusCode, downstreamHeaders(upstream.headers, req.responseHeaders, strip))
  await pipeBody(req, upstream.body, res, obs, strip)
  obs.endMs = nowMs()
  return true
}

function pipeBody(req: AttemptRequest, body: Dispatcher.ResponseData['body'], res: ServerResponse, obs: AttemptObservation, strip: boolean): Promise<void> {
  const capture = new BodyCapture(req.captureHead, req.captureTail)
  obs.response = capture
  const filter = strip ? new UsageChunkFilter() : null
  const streamed = req.stream && obs.httpStatus < 400
  return new Promise((resolve) => {
    body.on('data', (chunk: Buffer) => {
      if (streamed && obs.ttftMs === null) obs.ttftMs = nowMs() - obs.startMs
      capture.push(chunk)
      let ok = true
      if (filter) for (const part of filter.push(chunk)) ok = res.write(part)
      else ok = res.write(chunk)
      if (!ok) {
        body.pause()
        res.once('drain', () => body.resume())
      }
    })
    body.on('end', () => {
      const rest = filter?.end()
      if (rest) res.write(rest)
      res.end()
      resolve()
    })
    body.on('error', (err) => {
      const e = classifyTransportError(err)
      obs.errorType = req.signal.aborted ? 'client_disconnected' : streamed ? 'stream_interrupted' : e.type
      obs.errorMessage = e.message
      if (!res.destroyed) {
        if (streamed && !req.signal.aborted) res.end(streamErrorEvent(req.wire, `upstream stream interrupted: ${e.message}`))
        else res.destroy()
      }
      resolve()
    })
  })
}
