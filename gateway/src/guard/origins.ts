import type { onRequestHookHandler } from 'fastify'
import { GatewayError } from '../errors.ts'

/** What a web page must not reach cross-origin: the LLM routes (they spend keys) and the explorer API (prompts). */
const PROTECTED = /^\/(v1|p|api|debug)(\/|$)/

/** The Origin names the host the request was sent to (scheme aside: TLS may end at a proxy). */
function sameOrigin(origin: string, host: string | undefined): boolean {
  const at = origin.indexOf('://')
  if (at < 0 || !host) return false
  return origin.slice(at + 3).toLowerCase() === host.toLowerCase()
}

/**
 * Cross-origin browser requests to /v1, /p and /api are refused (403) unless `server.cors_origins`
 * lists the origin: a page could otherwise POST a `text/plain` body with no preflight and spend
 * the gateway's keys, or make the browser fetch `/api/traces`. Browsers name the page's origin
 * in `Origin` (POSTs, CORS reads) or at least say `Sec-Fetch-Site: cross-site`; other clients
 * (SDKs, curl) send neither and are not affected.
 */
export function originGuard(corsOrigins: string[]): onRequestHookHandler {
  const allowed = new Set(corsOrigins.map((o) => o.toLowerCase()))
  // A callback hook, not an async one: it runs on every request.
  return (req, _reply, done) => {
    const origin = req.headers.origin
    const site = req.headers['sec-fetch-site']
    // SDKs and curl send neither header: the common case costs two lookups. A page cannot forge
    // Sec-Fetch-Site, and `same-origin` holds behind a proxy that rewrites Host.
    if ((origin === undefined && site === undefined) || site === 'same-origin') return done()
    // The route matched, not the raw URL: the router decodes `/%76%31/...` into `/v1/...`.
    const route = req.routeOptions.url
    if (route === undefined || !PROTECTED.test(route)) return done()
    if (origin === undefined)
      return done(site === 'cross-site' || site === 'same-site' ? refused('this page') : undefined)
    if (sameOrigin(origin, req.headers.host) || allowed.has(origin.toLowerCase())) return done()
    done(refused(`origin "${origin.slice(0, 200)}"`))
  }
}

const refused = (who: string) =>
  new GatewayError(
    'forbidden_origin',
    `cross-origin requests from ${who} are refused: list the origin in server.cors_origins to allow a browser app`,
  )
