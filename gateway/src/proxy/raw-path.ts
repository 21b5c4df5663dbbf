import { GatewayError } from '../errors.ts'

/** Methods the raw route forwards. TRACE would echo the provider's auth header back; others have no use. */
export const RAW_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])

const ROUNDS = 4

/**
 * Decode until stable, so `%252e%252e` is seen for what an upstream may make of it; null when it
 * is still changing after a few rounds (nobody encodes a path that many times by accident).
 */
function fullyDecode(s: string): string | null {
  for (let i = 0; i < ROUNDS; i++) {
    let next: string
    try {
      next = decodeURIComponent(s)
    } catch {
      return s
    }
    if (next === s) return s
    s = next
  }
  return null
}

/** Control characters in a path are what this refuses, so the regex names them on purpose. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f]/

const refused = (why: string) => new GatewayError('invalid_path', why, 'path')

/**
 * The part of a raw route's URL after `/p/{provider}/`, still percent-encoded exactly as the
 * client sent it (decoding would turn `%2F` or `%3F` into path or query syntax), and its query.
 * Dot segments and backslashes, in any encoding, would let a caller walk out of the provider's
 * base path: they are refused.
 */
export function rawTarget(url: string): { rest: string; query: string } {
  const q = url.indexOf('?')
  const path = q < 0 ? url : url.slice(0, q)
  // The router also matches an encoded prefix (`/%70/openai/...`); only the plain one says where `rest` starts.
  const prefix = /^\/p\/[A-Za-z0-9._-]+\//.exec(path)
  if (!prefix) throw refused('write the route as /p/{provider}/..., its prefix not percent-encoded')
  const rest = path.slice(prefix[0].length)
  const decoded = fullyDecode(rest)
  if (decoded === null) throw refused('the path is percent-encoded too many times over')
  if (
    decoded.includes('\\') ||
    decoded.split('/').some((seg) => seg === '.' || seg === '..') ||
    CONTROL.test(decoded)
  ) {
    throw refused('the path may not contain dot segments, backslashes or control characters')
  }
  return { rest, query: q < 0 ? '' : url.slice(q) }
}
