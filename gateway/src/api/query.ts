import type { FastifyInstance, FastifyRequest } from 'fastify'
import { MetaKeysQuerySchema, QueryRequestSchema, type MetaKeysResponse, type QueryResponse } from '@tracegate/schemas'
import type { Store } from '../storage/client.ts'
import { compileMetaKeys, compileQuery, type CompiledQuery } from '../storage/query-compiler.ts'
import { GatewayError, invalidInput } from '../errors.ts'
import { adminGuard } from './admin-auth.ts'
import { fromStore } from './storage-errors.ts'

/** ClickHouse writes NaN (a percentile of nothing) as null; keep it null rather than letting Number() make it 0. */
const num = (v: unknown) => {
  if (v === null || v === undefined) return null
  const n = Number(v)
  return Number.isFinite(n) ? n : null
}

/**
 * Run compiled SQL; only the compiler's text and bound parameters reach the store. Reading the
 * rows is part of the read: from a server they stream, and a timeout can end them halfway.
 */
async function run<T>(req: FastifyRequest, store: Store, c: CompiledQuery): Promise<T[]> {
  return fromStore(
    req,
    store.client.query({ query: c.sql, query_params: c.params, format: 'JSONEachRow' }).then((rs) => rs.json<T>()),
  )
}

/** `POST /api/query`: a zod-validated slice, compiled to parameterised SQL (storage/query-compiler.ts). */
export async function queryApi(
  app: FastifyInstance,
  opts: { store: Store; adminToken: string | undefined; queryTimeoutMs: number },
): Promise<void> {
  app.addHook('onRequest', adminGuard(opts.adminToken))
  app.post('/api/query', async (req): Promise<QueryResponse> => {
    const body = req.body as { json?: unknown; jsonError?: string | null } | undefined
    if (body?.jsonError) throw new GatewayError('invalid_json', `request body is not valid JSON: ${body.jsonError}`)
    const q = QueryRequestSchema.safeParse(body?.json)
    if (!q.success) throw invalidInput(q.error.issues, 'body')
    const compiled = compileQuery(q.data, opts.store.database, opts.queryTimeoutMs)
    const dims = q.data.group_by.length
    const rows = (await run<Record<string, unknown>>(req, opts.store, compiled)).map((r) => {
      const out: Record<string, string | number | null> = {}
      if (q.data.interval) out.time = `${String(r.time).slice(0, 10)}T${String(r.time).slice(11, 19)}Z`
      for (let i = 0; i < dims; i++) out[q.data.group_by[i]!] = String(r[`d${i}`] ?? '')
      for (const m of q.data.metrics) out[m] = num(r[m])
      return out
    })
    return { source: compiled.source, columns: compiled.columns, rows }
  })

  app.get('/api/meta-keys', async (req): Promise<MetaKeysResponse> => {
    const q = MetaKeysQuerySchema.safeParse(req.query)
    if (!q.success) throw invalidInput(q.error.issues, 'query')
    const rows = await run<{ key: string }>(
      req,
      opts.store,
      compileMetaKeys(q.data, opts.store.database, opts.queryTimeoutMs),
    )
    return { keys: rows.map((r) => r.key) }
  })
}
