import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fastifyStatic from '@fastify/static'
import { UI_DIST } from './build.ts'

/**
 * Served with every explorer response. The app loads only its own hashed assets, so the policy
 * allows nothing else: no inline or foreign script (an injected prompt rendered as HTML cannot
 * run), no framing (clickjacking), no referrer leaking trace URLs to links followed from a body.
 */
export const EXPLORER_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
}

/** Paths that belong to the API and proxy, never to the single-page app. */
const NOT_UI = /^\/(api|v1|p|metrics|healthz|readyz)(\/|$|\?)/

/**
 * The app's entry page, read once at start (null when the explorer is not built): `/` and every
 * deep link (/traces/abc) answer with it, so the app routes them.
 */
export function appPage(dir = UI_DIST): string | null {
  const index = join(dir, 'index.html')
  return existsSync(index) ? readFileSync(index, 'utf8') : null
}

/** Serve the built explorer's files; `page` is what appPage() read from the same directory. */
export async function explorerAssets(app: FastifyInstance, opts: { dir?: string; page: string | null }): Promise<void> {
  const root = opts.dir ?? UI_DIST
  if (!opts.page) {
    app.get('/', async (_req, reply) =>
      reply
        .headers(EXPLORER_HEADERS)
        .type('text/plain')
        .send('tracegate is running; the explorer is not built (run npm start, or npm run build -w ui).\n'),
    )
    return
  }
  await app.register(fastifyStatic, {
    root,
    wildcard: false,
    index: 'index.html',
    // Hashed asset names never change content; index.html must always be fresh.
    setHeaders: (reply, path) =>
      reply
        .headers(EXPLORER_HEADERS)
        .header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'),
  })
}

/** For the not-found handler: a browser asking for an app route gets the app. */
export function isAppRoute(req: FastifyRequest): boolean {
  return req.method === 'GET' && !NOT_UI.test(req.url) && (req.headers.accept ?? '').includes('text/html')
}

export function sendApp(reply: FastifyReply, page: string): FastifyReply {
  return reply.headers(EXPLORER_HEADERS).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page)
}
