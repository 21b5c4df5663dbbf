import type { FastifyInstance } from 'fastify'
import { ComparePairsQuerySchema, CompareQuerySchema } from '@tracegate/schemas'
import type { Store } from '../storage/client.ts'
import { compareReport, comparePairs } from '../reports/compare.ts'
import { compareCsv } from '../reports/compare-csv.ts'
import { csvDownload } from '../reports/csv-download.ts'
import { invalidInput } from '../errors.ts'
import { fromStore } from './storage-errors.ts'

/**
 * `GET /api/compare?from&to&workflow&format=json|csv` (shadow traffic beside its primary, per pair
 * row) and `GET /api/compare/pairs?from&to&workflow&primary&shadow&limit` (one row's latest pairs).
 * Registered inside the reports plugin, behind its admin guard.
 */
export function compareRoutes(app: FastifyInstance, opts: { store: Store; queryTimeoutMs: number }): void {
  app.get('/api/compare', async (req, reply) => {
    const q = CompareQuerySchema.safeParse(req.query)
    if (!q.success) throw invalidInput(q.error.issues, 'query')
    const report = await fromStore(req, compareReport(opts.store, q.data, opts.queryTimeoutMs))
    if (q.data.format === 'json') return report
    return csvDownload(reply, 'compare', report, compareCsv(report))
  })

  app.get('/api/compare/pairs', async (req) => {
    const q = ComparePairsQuerySchema.safeParse(req.query)
    if (!q.success) throw invalidInput(q.error.issues, 'query')
    return fromStore(req, comparePairs(opts.store, q.data, opts.queryTimeoutMs))
  })
}
