import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { CostReportRowSchema, MissingPriceSchema } from '@tracegate/schemas'
import { parseConfig } from '../config/load.ts'
import { openStore, type Store } from './client.ts'
import { apiRow, column, queryRows, rowSchema, RowShapeError, type RowSchema } from './rows.ts'

// Real result sets from the embedded engine, opened as the gateway opens it.
const dataDir = mkdtempSync(join(tmpdir(), 'tracegate-rows-'))
let store: Store

beforeAll(async () => {
  store = await openStore(parseConfig({ storage: { data_dir: dataDir } }, {}))
})
afterAll(async () => {
  await store?.client.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const QUOTED = 'SETTINGS output_format_json_quote_64bit_integers = 1, output_format_json_quote_decimals = 1'
const read = <T>(query: string, rows: RowSchema<T>) => queryRows(store.client, { query }, rows)
/** What a read rejected with. */
const rejection = (read: Promise<unknown>) =>
  read.then(
    () => expect.fail('the rows were accepted'),
    (err: unknown) => err,
  )

describe('rows read from ClickHouse', () => {
  it('a UInt64 or Decimal that ClickHouse quotes is read as a number', async () => {
    const query = `SELECT toUInt64(12345678901) AS n, toDecimal64(1.25, 4) AS d, toUInt32(7) AS small ${QUOTED}`
    // The engine really does quote them under these settings: the schema, not luck, makes them numbers.
    const text = await (await store.client.query({ query, format: 'JSONEachRow' })).text()
    expect(text.trim()).toBe('{"n":"12345678901","d":"1.25","small":7}')
    const rows = rowSchema('quoted', z.object({ n: column.int, d: column.float, small: column.int }))
    expect(await read(query, rows)).toEqual([{ n: 12345678901, d: 1.25, small: 7 }])
  })

  it('nulls stay null, and a metric over no rows (NaN) is null rather than 0', async () => {
    const rows = rowSchema('nullable', z.object({ tokens: column.int.nullable(), p50: column.metric }))
    expect(await read('SELECT CAST(NULL AS Nullable(UInt64)) AS tokens, 0 / 0 AS p50', rows)).toEqual([
      { tokens: null, p50: null },
    ])
  })

  it('a column aliased differently from what the schema declares is rejected, naming the column', async () => {
    const rows = rowSchema('span count', z.object({ n: column.int }))
    const err = await rejection(read('SELECT count() AS count FROM numbers(3)', rows))
    expect(err).toBeInstanceOf(RowShapeError)
    expect((err as RowShapeError).message).toBe('span count, row 1, column n: missing from the result')
    expect((err as RowShapeError).column).toBe('n')
  })

  it('a value of another type is rejected, naming the row, the column and both types', async () => {
    const rows = rowSchema('tokens', z.object({ n: column.int, tokens: column.int }))
    const err = await rejection(
      read("SELECT number AS n, if(number = 1, 'many', toString(number)) AS tokens FROM numbers(2)", rows),
    )
    expect((err as RowShapeError).message).toBe('tokens, row 2, column tokens: expected number, received string')
    expect((err as RowShapeError).row).toBe(2)
  })

  it('rows aliased to an API shape are checked by its schema, quoted numbers included', async () => {
    const rows = rowSchema('missing prices', apiRow(MissingPriceSchema.omit({ price_key: true })))
    const query = `SELECT 'openai' AS provider, 'gpt-x' AS model, toUInt64(3) AS requests, toUInt64(9007199254740991) AS input_tokens,
      toUInt64(0) AS output_tokens, toUInt64(5) AS cache_read_tokens ${QUOTED}`
    expect(await read(query, rows)).toEqual([
      {
        provider: 'openai',
        model: 'gpt-x',
        requests: 3,
        input_tokens: 9007199254740991,
        output_tokens: 0,
        cache_read_tokens: 5,
      },
    ])
    // A text field is not turned into a number because it looks like one, and a group of another type is refused.
    const report = rowSchema('cost report', apiRow(CostReportRowSchema.pick({ group: true, requests: true })))
    expect(await read(`SELECT '123' AS group, toUInt64(2) AS requests ${QUOTED}`, report)).toEqual([
      { group: '123', requests: 2 },
    ])
    const err = await rejection(read('SELECT 7 AS group, 2 AS requests', report))
    expect((err as RowShapeError).message).toBe('cost report, row 1, column group: expected string, received number')
  })
})
