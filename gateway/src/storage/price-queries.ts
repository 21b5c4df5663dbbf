import { MissingPriceSchema, type MissingPricesQuery, type MissingPricesResponse } from '@tracegate/schemas'
import type { Store } from './client.ts'
import { formatTimestamp } from '../spans/time.ts'
import { readLimitSql } from './read-limits.ts'
import { apiRow, queryRows, rowSchema } from './rows.ts'

/** The columns are aliased to the API's fields; the price key is made from two of them. */
const MISSING_PRICE_ROWS = rowSchema('missing prices', apiRow(MissingPriceSchema.omit({ price_key: true })))

/**
 * Models that answered with usage but have no price (attempt spans flagged `unpriced`), with
 * their volumes, largest first. The model is the one the provider answered with, as the price
 * override key (`prices: provider/model`) is matched against it first.
 */
export async function missingPrices(
  store: Store,
  q: MissingPricesQuery,
  timeoutMs?: number,
): Promise<MissingPricesResponse> {
  const rows = await queryRows(
    store.client,
    {
      query: `SELECT Provider AS provider, if(ResponseModel != '', ResponseModel, RequestModel) AS model, count() AS requests,
        sum(ifNull(InputTokens, 0)) AS input_tokens, sum(ifNull(OutputTokens, 0)) AS output_tokens, sum(ifNull(CacheReadTokens, 0)) AS cache_read_tokens
      FROM ${store.database}.spans
      WHERE SpanKind = 'Client' AND CostSource = 'unpriced' AND Timestamp >= {from:DateTime64(9)} AND Timestamp < {to:DateTime64(9)}
      GROUP BY provider, model ORDER BY input_tokens + output_tokens DESC, provider, model LIMIT 1000${readLimitSql(timeoutMs)}`,
      query_params: { from: formatTimestamp(q.from.getTime()), to: formatTimestamp(q.to.getTime()) },
    },
    MISSING_PRICE_ROWS,
  )
  const models = rows.map((r) => ({ ...r, price_key: `${r.provider}/${r.model}` }))
  return { from: q.from.toISOString(), to: q.to.toISOString(), models }
}
