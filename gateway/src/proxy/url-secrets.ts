import { safeDecode } from '../spans/redact.ts'

/**
 * Take Google's `key` parameter out of a query string: it is a credential, and the gateway sends
 * credentials in headers itself (the provider key for a gateway-key holder, never the gateway key).
 */
export function takeKeyParam(query: string): { key: string | undefined; rest: string } {
  if (!query) return { key: undefined, rest: '' }
  let key: string | undefined
  const kept = query.slice(1).split('&').filter((pair) => {
    if (!pair.startsWith('key=')) return true
    key = safeDecode(pair.slice(4))
    return false
  })
  return { key, rest: kept.length ? `?${kept.join('&')}` : '' }
}
