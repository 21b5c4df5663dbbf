import type { FastifyInstance } from 'fastify'
import { TraceDetailQuerySchema, TraceIdSchema, TraceListQuerySchema, type TraceResponse } from '@tracegate/schemas'
import type { Store } from '../storage/client.ts'
import { decodeCursor, getTrace, listTraces } from '../storage/trace-queries.ts'
import { GatewayError, invalidInput } from '../errors.ts'
import { adminGuard } from './admin-auth.ts'
import { fromStore } from './storage-errors.ts'

/** Explorer API: trace list and trace detail, read straight from ClickHouse. */
export async function traceApi(
  app: FastifyInstance,
  opts: { store: Store; adminToken: string | undefined; queryTimeoutMs: number },
): Promise<void> {
  app.addHook('onRequest', adminGuard(opts.adminToken))

  app.get('/api/traces', async (req) => {
    const q = TraceListQuerySchema.safeParse(req.query)
    if (!q.success) throw invalidInput(q.error.issues, 'query')
    const after = q.data.cursor ? decodeCursor(q.data.cursor) : null
    if (q.data.cursor && !after)
      throw new GatewayError(
        'invalid_request',
        'cursor is not valid: pass next_cursor from the previous page as is',
        'cursor',
      )
    return fromStore(req, listTraces(opts.store, q.data, after, opts.queryTimeoutMs))
  })

  app.get('/api/traces/:traceId', async (req): Promise<TraceResponse> => {
    const id = TraceIdSchema.safeParse((req.params as { traceId: string }).traceId)
    if (!id.success)
      throw invalidInput(
        id.error.issues.map((i) => ({ ...i, path: ['traceId'] })),
        'path',
      )
    const q = TraceDetailQuerySchema.safeParse(req.query)
    if (!q.success) throw invalidInput(q.error.issues, 'query')
    const spans = await fromStore(req, getTrace(opts.store, id.data, opts.queryTimeoutMs))
    if (!spans.length) throw new GatewayError('not_found', `no trace ${id.data}`)
    return { trace_id: id.data, spans }
  })
}
