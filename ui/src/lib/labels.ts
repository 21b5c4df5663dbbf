/**
 * Words for the codes spans store, so the pages say "no usage reported" rather than `no_usage`. A
 * code not listed here (a new one) is shown as it is stored.
 */
export const COST_SOURCE_LABELS: Record<string, string> = {
  'genai-prices': 'price list',
  override: 'your price',
  unpriced: 'unpriced model',
  no_usage: 'no usage reported',
  free: 'not billed',
  usage_unreadable: 'usage unreadable',
}

const ERROR_TYPE_LABELS: Record<string, string> = {
  timeout: 'timed out',
  reset: 'connection reset',
  connect_error: 'could not connect',
  stream_interrupted: 'stream interrupted',
  cancelled: 'cancelled by the client',
  upstream_error: 'upstream error',
  upstream_unreachable: 'upstream unreachable',
  upstream_timeout: 'upstream timed out',
  invalid_api_key: 'invalid API key',
  missing_api_key: 'missing API key',
  invalid_json: 'invalid JSON',
  invalid_request: 'invalid request',
  request_too_large: 'request too large',
  forbidden_origin: 'forbidden origin',
  budget_exceeded: 'budget exceeded',
  rate_limit_exceeded: 'rate limit exceeded',
  '429': 'rate limited (429)',
}

/** Error types offered by the trace list's filter, most common first. */
export const COMMON_ERROR_TYPES = [
  '429',
  '500',
  '502',
  '503',
  '504',
  'timeout',
  'reset',
  'connect_error',
  'stream_interrupted',
  'cancelled',
]

export const costSourceLabel = (s: string) => COST_SOURCE_LABELS[s] ?? s

/** "HTTP 503" for a status the upstream answered with; words for the transport failures. */
export function errorTypeLabel(t: string): string {
  if (!t) return ''
  return ERROR_TYPE_LABELS[t] ?? (/^\d{3}$/.test(t) ? `HTTP ${t}` : t.replaceAll('_', ' '))
}
