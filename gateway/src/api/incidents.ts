import type { FastifyInstance } from 'fastify'
import { IncidentsQuerySchema, type IncidentSettings, type IncidentsResponse } from '@tracegate/schemas'
import type { Store } from '../storage/client.ts'
import { incidentsReport } from '../incidents/report.ts'
import { invalidInput } from '../errors.ts'
import { adminGuard } from './admin-auth.ts'
import { fromStore } from './storage-errors.ts'

/** `GET /api/incidents?from&to`: incidents found per upstream attempt, target health and request results. */
export async function incidentsApi(
  app: FastifyInstance,
  opts: { store: Store; adminToken: string | undefined; queryTimeoutMs: number; settings: IncidentSettings },
): Promise<void> {
  app.addHook('onRequest', adminGuard(opts.adminToken))
  app.get('/api/incidents', async (req): Promise<IncidentsResponse> => {
    const q = IncidentsQuerySchema.safeParse(req.query)
    if (!q.success) throw invalidInput(q.error.issues, 'query')
    return fromStore(req, incidentsReport(opts.store, q.data, opts.settings, opts.queryTimeoutMs))
  })
}
