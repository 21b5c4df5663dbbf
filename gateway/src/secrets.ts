import { createHash, timingSafeEqual } from 'node:crypto'

/** Credentials in URLs: taking Google's `?key=` out of forwarded queries, masking them in what is stored. */

/** Query parameters that carry credentials (Google's `?key=`, signed URLs, tokens). */
const SECRET_PARAM =
  /^(key|api[-_]?key|x-goog-api-key|token|access[-_]?token|id[-_]?token|auth|authorization|secret|client[-_]?secret|password|sig|signature)$/i

/** A path with its credential-bearing query values replaced, for spans and logs. */
export function maskSecrets(pathWithQuery: string): string {
  const q = pathWithQuery.indexOf('?')
  if (q < 0) return pathWithQuery
  const params = pathWithQuery
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=')
      const name = eq < 0 ? pair : pair.slice(0, eq)
      return eq >= 0 && SECRET_PARAM.test(safeDecode(name)) ? `${name}=[redacted]` : pair
    })
  return `${pathWithQuery.slice(0, q)}?${params.join('&')}`
}

/** decodeURIComponent that leaves malformed escapes as they are. */
export function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '))
  } catch {
    return s
  }
}

/**
 * Take Google's `key` parameter out of a query string: it is a credential, and the gateway sends
 * credentials in headers itself (the provider key for a gateway-key holder, never the gateway key).
 */
export function takeKeyParam(query: string): { key: string | undefined; rest: string } {
  if (!query) return { key: undefined, rest: '' }
  let key: string | undefined
  const kept = query
    .slice(1)
    .split('&')
    .filter((pair) => {
      const eq = pair.indexOf('=')
      // Compared decoded: `?%6bey=` is the same parameter to the provider.
      if (eq < 0 || safeDecode(pair.slice(0, eq)) !== 'key') return true
      key = safeDecode(pair.slice(eq + 1))
      return false
    })
  return { key, rest: kept.length ? `?${kept.join('&')}` : '' }
}

/**
 * Whether a presented token is `token` (the admin token), compared in constant time over digests
 * of equal length; the expected digest is taken once, here.
 */
export function tokenMatcher(token: string): (given: string) => boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest()
  const expected = digest(token)
  return (given) => given !== '' && timingSafeEqual(digest(given), expected)
}
