import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fastifyStatic from '@fastify/static'
import { UI_DIST } from './build.ts'

/** Paths that belong to the API and proxy, never to the single-page app. */
const NOT_UI = /^\/(api|v1|p|metrics|healthz|readyz)(\/|$|\?)/

/** True when there is a built explorer to serve. */
export const hasExplorer = (dir = UI_DIST) => existsSync(join(dir, 'index.html'))

/** Serve the built explorer at `/`; deep links (/traces/abc) get index.html so the app routes them. */
export async function explorerAssets(app: FastifyInstance, opts: { dir?: string }): Promise<void> {
  const root = opts.dir ?? UI_DIST
  if (!hasExplorer(root)) {
    app.get('/', async (_req, reply) => reply.type('text/plain').send('tracegate is running; the explorer is not built (run npm start, or npm run build -w ui).\n'))
    return
  }
  await app.register(fastifyStatic, {
    root,
    wildcard: false,
    index: 'index.html',
    // Hashed asset names never change content; index.html must always be fresh.
    setHeaders: (reply, path) => reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'),
  })
}

/** For the not-found handler: a browser asking for an app route gets the app. */
export function isAppRoute(req: FastifyRequest): boolean {
  return req.method === 'GET' && !NOT_UI.test(req.url) && (req.headers.accept ?? '').includes('text/html')
}

/** The app's entry page, read once: every deep link answers with it. */
export function appPage(dir = UI_DIST): string | null {
  return hasExplorer(dir) ? readFileSync(join(dir, 'index.html'), 'utf8') : null
}

export function sendApp(reply: FastifyReply, page: string): FastifyReply {
  return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page)
}
