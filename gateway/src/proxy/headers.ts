import type { OutgoingHttpHeaders } from 'node:http'

const DROP_DOWNSTREAM = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'transfer-encoding',
])

/** Upstream response headers for the client, unchanged but for hop-by-hop ones, plus ours. */
export function downstreamHeaders(
  upstream: Record<string, string | string[] | undefined>,
  extra: Record<string, string>,
  bodyRewritten: boolean,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const name in upstream) {
    if (DROP_DOWNSTREAM.has(name) || (bodyRewritten && name === 'content-length')) continue
    out[name] = upstream[name]
  }
  for (const k in extra) out[k] = extra[k]
  return out
}
