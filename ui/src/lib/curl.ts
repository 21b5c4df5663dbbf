import type { Span } from '@tracegate/schemas'

const sh = (s: string) => `'${s.replaceAll("'", "'\\''")}'`

/**
 * The request as a curl command against this gateway. Keys are never stored, so the key is a
 * shell variable for the reader to fill in; attribution headers are rebuilt from the span.
 */
export function curlFor(server: Span, origin: string): string {
  const route = server.attributes['http.route'] || '/v1/chat/completions'
  const anthropic = route === '/v1/messages'
  const lines = [`curl ${sh(origin + route)}`, `-H 'content-type: application/json'`]
  lines.push(
    anthropic
      ? `-H "x-api-key: $ANTHROPIC_API_KEY" -H 'anthropic-version: 2023-06-01'`
      : `-H "authorization: Bearer $OPENAI_API_KEY"`,
  )
  const attribution: [string, string][] = [
    ['x-tracegate-workflow', server.workflow],
    ['x-tracegate-team', server.team],
    ['x-tracegate-user', server.user],
    ['x-tracegate-session', server.session_id],
    ['x-tracegate-tags', server.tags.join(',')],
  ]
  for (const [k, v] of Object.entries(server.attributes))
    if (k.startsWith('tracegate.meta.')) attribution.push([`x-tracegate-meta-${k.slice(15)}`, v])
  for (const [h, v] of attribution) if (v) lines.push(`-H ${sh(`${h}: ${v}`)}`)
  if (server.request_body) lines.push(`-d ${sh(server.request_body)}`)
  return lines.join(' \\\n  ')
}
