/**
 * Join an upstream base path and a route path without doubling the segments they share:
 * a base URL configured as `https://api.anthropic.com/v1` plus `/v1/messages` is `/v1/messages`,
 * not `/v1/v1/messages`. The longest overlap of the base's tail with the suffix's head is dropped.
 */
export function joinPath(base: string, suffix: string): string {
  const b = base.split('/').filter(Boolean)
  const s = suffix.split('/').filter(Boolean)
  const slash = suffix.endsWith('/') && s.length ? '/' : ''
  let k = Math.min(b.length, s.length)
  while (k > 0 && !b.slice(b.length - k).every((seg, i) => seg === s[i])) k--
  return `/${[...b, ...s.slice(k)].join('/')}${slash}`
}
