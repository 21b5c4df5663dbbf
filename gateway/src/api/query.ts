import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import {
  MetaKeysQuerySchema,
  QueryRequestSchema,
  type MetaKeysResponse,
  type QueryRequest,
  type QueryResponse,
} from '@tracegate/schemas'
import type { Store } from '../storage/client.ts'
import { compileMetaKeys, compileQuery, type CompiledQuery } from '../storage/query-compiler.ts'
import { GatewayError, invalidInput } from '../errors.ts'
import { adminGuard } from './admin-auth.ts'
import { fromStore } from './storage-errors.ts'
import { column, queryRows, rowSchema, type RowSchema } from '../storage/rows.ts'

type SliceRow = QueryResponse['rows'][number]
/** One column of a slice: its name in the response, its alias in the SQL, and how ClickHouse writes it. */
interface SliceColumn {
  name: string
  alias: string
  type: z.ZodType<string | number | null>
}

const isoSecond = (t: string) => `${t.slice(0, 10)}T${t.slice(11, 19)}Z`

/**
 * The rows of a compiled slice: `time` when there is an interval, `other` with `top`, the dimensions as `d0`… (their
 * names, `meta:<name>`, are not SQL identifiers), the metrics by name; mapped to the response's
 * columns. A metric of no rows (a percentile of nothing, 0/0) is NaN in ClickHouse: null here, not 0.
 */
function sliceRows(q: QueryRequest): RowSchema<SliceRow> {
  const columns: SliceColumn[] = [
    ...(q.interval ? [{ name: 'time', alias: 'time', type: column.dateTime.transform(isoSecond) }] : []),
    // With `top`: 1 on the row that folds every group outside the top ones.
    ...(q.top ? [{ name: 'other', alias: 'other', type: column.int }] : []),
    ...q.group_by.map((d, i) => ({ name: d, alias: `d${i}`, type: column.string })),
    ...q.metrics.map((m) => ({ name: m, alias: m, type: column.metric })),
  ]
  const row = z.object(Object.fromEntries(columns.map((c) => [c.alias, c.type])))
  return rowSchema(
    'slice',
    row.transform((r): SliceRow => Object.fromEntries(columns.map((c) => [c.name, r[c.alias] ?? null]))),
  )
}

const META_KEY_ROWS = rowSchema('metadata names', z.object({ key: column.string }))

/**
 * Run compiled SQL; only the compiler's text and bound parameters reach the store. Reading the
 * rows is part of the read: from a server they stream, and a timeout can end them halfway.
 */
function run<T>(req: FastifyRequest, store: Store, c: CompiledQuery, rows: RowSchema<T>): Promise<T[]> {
  return fromStore(req, queryRows(store.client, { query: c.sql, query_params: c.params }, rows))
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
    const rows = await run(req, opts.store, compiled, sliceRows(q.data))
    return { source: compiled.source, columns: compiled.columns, rows }
  })

  app.get('/api/meta-keys', async (req): Promise<MetaKeysResponse> => {
    const q = MetaKeysQuerySchema.safeParse(req.query)
    if (!q.success) throw invalidInput(q.error.issues, 'query')
    const rows = await run(
      req,
      opts.store,
      compileMetaKeys(q.data, opts.store.database, opts.queryTimeoutMs),
      META_KEY_ROWS,
    )
    return { keys: rows.map((r) => r.key) }
  })
}
