import type { FastifyInstance } from 'fastify'
import type { Store } from '../storage/client.ts'
import type { SpanWriter } from '../storage/writer.ts'

/** Liveness says the process serves; readiness also says whether storage answers. */
export async function healthApi(app: FastifyInstance, opts: { store: Store; writer: SpanWriter }): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
    const ping = await opts.store.client.ping().catch((err: Error) => ({ success: false as const, error: err }))
    const { pending, written, failedInserts, dropped } = opts.writer.stats
    const body = { status: ping.success ? 'ready' : 'storage_unavailable', storage: { engine: opts.store.engine, reachable: ping.success }, spans: { pending, written, failed_inserts: failedInserts, dropped } }
    return reply.code(ping.success ? 200 : 503).send(body)
  })
}
