import { GatewayError } from '../errors.ts'

/** Methods the raw route forwards. TRACE would echo the provider's auth header back; others have no use. */
export const RAW_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])

/** Decode until stable (at most a few rounds), so `%252e%252e` is seen for what an upstream may make of it. */
function fullyDecode(s: string): string {
  for (let i = 0; i < 3; i++) {
    let next: string
    try {
      next = decodeURIComponent(s)
    } catch {
      return s
    }
    if (next === s) return s
    s = next
  }
  return s
}

/**
 * The part of a raw route's URL after `/p/{provider}/`, still percent-encoded exactly as the
 * client sent it (decoding would turn `%2F` or `%3F` into path or query syntax), and its query.
 * Dot segments and backslashes, in any encoding, would let a caller walk out of the provider's
 * base path: they are refused.
 */
export function rawTarget(url: string): { rest: string; query: string } {
  const q = url.indexOf('?')
  const path = q < 0 ? url : url.slice(0, q)
  const start = path.indexOf('/', '/p/'.length)
  const rest = start < 0 ? '' : path.slice(start + 1)
  const decoded = fullyDecode(rest)
  if (decoded.includes('\\') || decoded.split('/').some((seg) => seg === '.' || seg === '..') || /[\u0000-\u001f]/.test(decoded)) {
    throw new GatewayError('invalid_path', 'the path may not contain dot segments, backslashes or control characters', 'path')
  }
  return { rest, query: q < 0 ? '' : url.slice(q) }
}
