import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { SpanWriter } from '../storage/writer.ts'
import { SEGMENT_NAME } from '../storage/spool.ts'
import { GatewayError, invalidRequest } from '../errors.ts'
import { adminGuard } from './admin-auth.ts'

const RetrySchema = z.union([
  z.object({ segments: z.array(z.string().regex(SEGMENT_NAME, 'not a spool segment name')).min(1) }).strict(),
  z.object({ all: z.literal(true) }).strict(),
])

/**
 * Spool segments ClickHouse rejected for their content (see Quarantine): list them, and put
 * them back in line for insert, e.g. after fixing the table or the data. `tracegate spool`
 * uses this when a gateway is running, else works on the data directory.
 */
export async function spoolApi(
  app: FastifyInstance,
  opts: { writer: SpanWriter; adminToken: string | undefined },
): Promise<void> {
  app.addHook('onRequest', adminGuard(opts.adminToken))

  app.get('/api/spool/quarantine', async () => ({ segments: opts.writer.quarantined() }))

  app.post('/api/spool/quarantine/retry', async (req) => {
    const body = RetrySchema.safeParse((req.body as { json?: unknown } | undefined)?.json)
    if (!body.success) throw invalidRequest(body.error.issues)
    const known = opts.writer.quarantined().map((q) => q.segment)
    const wanted = 'all' in body.data ? known : body.data.segments
    const missing = wanted.filter((n) => !known.includes(n))
    if (missing.length)
      throw new GatewayError('not_found', `no quarantined spool segment ${missing.join(', ')}`, 'segments')
    return { requeued: opts.writer.retryQuarantined(wanted) }
  })
}
