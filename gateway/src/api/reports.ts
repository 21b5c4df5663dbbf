import type { FastifyInstance } from 'fastify'
import { BreakEvenQuerySchema, CostReportQuerySchema, MissingPricesQuerySchema } from '@tracegate/schemas'
import type { Store } from '../storage/client.ts'
import { costReport, reportCsv } from '../storage/report-queries.ts'
import { missingPrices } from '../storage/price-queries.ts'
import { breakEven, breakEvenCsv } from '../reports/break-even.ts'
import { csvDownload } from '../reports/csv-download.ts'
import { invalidInput } from '../errors.ts'
import { adminGuard } from './admin-auth.ts'
import { fromStore } from './storage-errors.ts'
import { compareRoutes } from './compare.ts'

/**
 * `GET /api/reports/cost?from&to&group_by&format=csv|json`, the break-even report, the shadow-traffic
 * comparison (api/compare.ts) and `GET /api/prices/missing?from&to`.
 */
export async function reportsApi(
  app: FastifyInstance,
  opts: { store: Store; adminToken: string | undefined; queryTimeoutMs: number },
): Promise<void> {
  app.addHook('onRequest', adminGuard(opts.adminToken))
  app.get('/api/reports/cost', async (req, reply) => {
    const q = CostReportQuerySchema.safeParse(req.query)
    if (!q.success) throw invalidInput(q.error.issues, 'query')
    const report = await fromStore(req, costReport(opts.store, q.data, opts.queryTimeoutMs))
    if (q.data.format === 'json') return report
    return csvDownload(reply, `cost-by-${q.data.group_by}`, report, reportCsv(report))
  })

  app.get('/api/reports/break-even', async (req, reply) => {
    const q = BreakEvenQuerySchema.safeParse(req.query)
    if (!q.success) throw invalidInput(q.error.issues, 'query')
    const report = await fromStore(req, breakEven(opts.store, q.data, opts.queryTimeoutMs))
    if (q.data.format === 'json') return report
    return csvDownload(reply, 'break-even', report, breakEvenCsv(report))
  })

  compareRoutes(app, opts)

  app.get('/api/prices/missing', async (req) => {
    const q = MissingPricesQuerySchema.safeParse(req.query)
    if (!q.success) throw invalidInput(q.error.issues, 'query')
    return fromStore(req, missingPrices(opts.store, q.data, opts.queryTimeoutMs))
  })
}
