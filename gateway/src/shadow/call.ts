import type { AttemptObservation } from '../spans/observation.ts'
import { nowMs } from '../clock.ts'
import { responseCapture } from '../upstream/body-capture.ts'
import type { UpstreamCall } from '../upstream/call.ts'
import { classifyTransportError } from '../upstream/transport-errors.ts'

/** A shadow call is sent as an attempt is, less what only relaying to a client needs. */
export type ShadowCall = Pick<
  UpstreamCall,
  'dispatcher' | 'origin' | 'path' | 'method' | 'headers' | 'body' | 'stream' | 'wire' | 'captureAtLeast'
> & {
  timeoutMs: number
  /** Aborted when the gateway shuts down and the grace period is over. */
  stop: AbortSignal
}

/**
 * Send one shadow call and read its answer to the end, filling its observation as the plan
 * runner's attempts are filled (status, first byte and token, the captured body). Nobody waits
 * for it, so undici's plain request API serves: its stream objects cost nothing anyone feels.
 */
export async function callShadow(c: ShadowCall, a: AttemptObservation): Promise<void> {
  const capture = responseCapture(c.captureAtLeast)
  const timeout = AbortSignal.timeout(c.timeoutMs)
  const signal = AbortSignal.any([timeout, c.stop])
  let scanner = c.stream ? c.wire.firstToken() : null
  a.response = capture
  try {
    const res = await c.dispatcher.request({
      origin: c.origin,
      path: c.path,
      method: c.method,
      headers: c.headers,
      body: c.body,
      signal,
      headersTimeout: 0,
      bodyTimeout: 0,
    })
    a.httpStatus = res.statusCode
    if (res.statusCode >= 400) {
      a.errorType = String(res.statusCode)
      a.errorMessage = `upstream answered ${res.statusCode}`
    }
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      capture.push(chunk)
      a.ttfbMs ??= nowMs() - a.startMs
      if (scanner?.seen(chunk)) {
        a.ttftMs = nowMs() - a.startMs
        scanner = null
      }
    }
  } catch (err) {
    const e = c.stop.aborted
      ? { type: 'cancelled', message: 'cut short: the gateway shut down' }
      : timeout.aborted
        ? { type: 'timeout', message: `no answer within ${c.timeoutMs} ms` }
        : classifyTransportError(err)
    // A stream that broke after its status arrived is interrupted, as the plan runner names it.
    a.errorType = a.httpStatus && a.httpStatus < 400 && e.type !== 'timeout' ? 'stream_interrupted' : e.type
    a.errorMessage = e.message
  }
  a.endMs = nowMs()
}
