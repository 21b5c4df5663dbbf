import type { FastifyInstance } from 'fastify'
import type { Store } from '../storage/client.ts'
import type { SpanWriter } from '../storage/writer.ts'

/** Liveness says the process serves; readiness also says whether storage answers. */
export async function healthApi(app: FastifyInstance, opts: { store: Store; writer: SpanWriter }): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
    const ping = await opts.store.client.ping().catch((err: Error) => ({ success: false as const, error: err }))
    const { pending, written, replayed, failedInserts, dropped, segments, spoolBytes } = opts.writer.stats
    // Storage being down does not make the gateway unready while the spool can hold spans.
    const spoolHealthy = dropped === 0
    const body = {
      status: ping.success ? 'ready' : spoolHealthy ? 'degraded' : 'storage_unavailable',
      storage: { engine: opts.store.engine, reachable: ping.success },
      spans: { pending, written, replayed, failed_inserts: failedInserts, dropped, spool_segments: segments, spool_bytes: spoolBytes },
    }
    return reply.code(ping.success || spoolHealthy ? 200 : 503).send(body)
  })
}
