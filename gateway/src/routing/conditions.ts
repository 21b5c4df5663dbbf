import type { RetryCondition } from '@tracegate/schemas'

/** How an attempt ended, in the terms retry_on / fallback_on speak. */
export type AttemptOutcome =
  | { kind: 'ok' }
  | { kind: 'http'; status: number; contextLength: boolean; retryAfterMs: number | null }
  | { kind: 'transport'; type: string }

export function matches(conditions: readonly RetryCondition[], o: AttemptOutcome): boolean {
  if (o.kind === 'ok') return false
  for (const c of conditions) {
    if (o.kind === 'transport') {
      if (c === o.type) return true
      continue
    }
    if (c === o.status || (c === '5xx' && o.status >= 500) || (c === '4xx' && o.status >= 400 && o.status < 500))
      return true
    if (c === 'context_length' && o.contextLength) return true
  }
  return false
}

/** The condition that matched, for the span's retry_reason. */
export function reason(o: AttemptOutcome): string {
  if (o.kind === 'ok') return ''
  if (o.kind === 'transport') return o.type
  return o.contextLength ? 'context_length' : String(o.status)
}

const CONTEXT_LENGTH =
  /context_length_exceeded|maximum context length|prompt is too long|too many tokens|context window/i

/** Providers say "too long" in a 400 body; only that body tells it apart from other 400s. */
export function isContextLengthError(status: number, body: string): boolean {
  return status === 400 && CONTEXT_LENGTH.test(body)
}

/** Retry-After as seconds or an HTTP date, in ms; null when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | null {
  const v = Array.isArray(value) ? value[0] : value
  if (!v) return null
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000)
  const at = Date.parse(v)
  return Number.isNaN(at) ? null : Math.max(0, at - now)
}
