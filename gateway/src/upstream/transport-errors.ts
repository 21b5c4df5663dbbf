/** Classify a transport failure into the error types spans and retries speak. */
export function classifyTransportError(err: unknown): { type: string; message: string } {
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string } }
  const code = e.code ?? e.cause?.code ?? ''
  if (
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    e.name === 'TimeoutError'
  ) {
    return { type: 'timeout', message: 'upstream timed out' }
  }
  if (
    code === 'ECONNREFUSED' ||
    code === 'ENOTFOUND' ||
    code === 'EAI_AGAIN' ||
    code === 'EHOSTUNREACH' ||
    code === 'ENETUNREACH'
  ) {
    return { type: 'connect_error', message: `cannot connect to upstream (${code})` }
  }
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED') {
    return { type: 'reset', message: 'upstream closed the connection' }
  }
  if (e.name === 'AbortError' || code === 'UND_ERR_ABORTED') return { type: 'cancelled', message: 'client went away' }
  return { type: 'upstream_error', message: e.message ?? 'upstream request failed' }
}
