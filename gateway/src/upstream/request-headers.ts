import type { IncomingHttpHeaders } from 'node:http'
import { AUTH_HEADERS } from '../providers/auth.ts'
import type { ProviderAdapter } from '../providers/types.ts'

/**
 * Never forwarded upstream: hop-by-hop, recomputed, replaced by ours, carrying the client's key,
 * or a browser's (its cookies, and the origin and referrer that would make a provider treat the
 * gateway's call as a browser's; `sec-*` fetch metadata is dropped by prefix).
 */
const DROP_UPSTREAM = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
  'transfer-encoding',
  'content-length',
  'accept-encoding',
  // Every header a key can come in: a header added to AuthHeader is never forwarded by omission.
  ...Object.keys(AUTH_HEADERS),
  'traceparent',
  'tracestate',
  'expect',
  'cookie',
  'origin',
  'referer',
  // LiteLLM's attribution header, read like ours (spans/attribution.ts) and not the provider's business.
  'x-litellm-tags',
])

/**
 * Headers for the upstream request: the client's own (SDK versions, anthropic-beta, organization…)
 * minus attribution and auth, plus the provider key, our traceparent and identity encoding, so the
 * response can be read on the side.
 */
export function upstreamHeaders(
  incoming: IncomingHttpHeaders,
  adapter: ProviderAdapter,
  key: string | undefined,
  traceparent: string,
  tracestate: string,
  length: number | null,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const name in incoming) {
    if (DROP_UPSTREAM.has(name) || name.startsWith('x-tracegate-') || name.startsWith('sec-')) continue
    const v = incoming[name]
    if (v !== undefined) out[name] = v
  }
  for (const [k, v] of adapter.defaultHeaders) if (out[k] === undefined) out[k] = v
  if (key) for (const [k, v] of adapter.authHeaders(key)) out[k] = v
  out.traceparent = traceparent
  if (tracestate) out.tracestate = tracestate
  out['accept-encoding'] = 'identity'
  if (length !== null) out['content-length'] = String(length)
  return out
}
