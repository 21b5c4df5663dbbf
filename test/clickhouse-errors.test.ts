import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseError } from '@clickhouse/client'
import { parseConfig } from '../gateway/src/config/load.ts'
import { createLogger } from '../gateway/src/log.ts'
import { openStore } from '../gateway/src/storage/client.ts'
import { migrate } from '../gateway/src/storage/migrate.ts'
import { rejectedForContent } from '../gateway/src/storage/quarantine.ts'
import { classifyReadError } from '../gateway/src/storage/read-errors.ts'
import { CLICKHOUSE_ERROR_NAMES, clickHouseErrorName } from '../gateway/src/storage/clickhouse-errors.ts'

const dir = mkdtempSync(join(tmpdir(), 'tracegate-error-name-'))
const store = await openStore(parseConfig({ storage: { data_dir: dir } }, {}))
await migrate(store, 30, createLogger('silent'))
afterAll(async () => {
  await store.client.close()
  rmSync(dir, { recursive: true, force: true })
})

/** An error as @clickhouse/client makes it from ClickHouse's text, quoted words and all. */
const fromText = (text: string) => parseError(text) as Error & { type: string }

describe('ClickHouse errors are named by their code', () => {
  it("every code the gateway tells apart has the engine's own name", async () => {
    const rs = await store.client.query({
      query: 'SELECT arrayMap(c -> errorCodeToName(c), {codes:Array(UInt32)}) AS names',
      query_params: { codes: [...CLICKHOUSE_ERROR_NAMES.keys()] },
      format: 'JSONEachRow',
    })
    const [row] = await rs.json<{ names: string[] }>()
    expect(row!.names).toEqual([...CLICKHOUSE_ERROR_NAMES.values()])
  })

  it('a content error quoting "(NASA)" from a prompt is still a content error, named by its code', async () => {
    const err = fromText(
      'Code: 41. DB::Exception: Cannot read DateTime: parsed text: "launch (NASA) tomorrow". (CANNOT_PARSE_DATETIME) (version 26.7.2.1)',
    )
    expect(err.type).toBe('NASA') // how the client reads it
    expect(await rejectedForContent(store, err)).toBe(true)
    expect(clickHouseErrorName(err)).toBe('CANNOT_PARSE_DATETIME')
    // An outage-class error (too many parts) is not the segment's fault, whatever words it quotes.
    const busy = fromText('Code: 252. DB::Exception: Too many parts (INCORRECT_DATA). (TOO_MANY_PARTS) (version 26.7)')
    expect(await rejectedForContent(store, busy)).toBe(false)
  })

  it('an explorer read failing on a bad parameter that quotes "(TIMEOUT_EXCEEDED)" is the request\'s fault, not a timeout', () => {
    const err = fromText(
      "Code: 457. DB::Exception: Value 'x (TIMEOUT_EXCEEDED)' cannot be parsed as UInt32 for query parameter 'limit'. (BAD_QUERY_PARAMETER) (version 26.7)",
    )
    expect(err.type).toBe('TIMEOUT_EXCEEDED')
    expect(classifyReadError(err)).toBe('input')
    expect(
      classifyReadError(fromText('Code: 159. DB::Exception: Timeout exceeded. (TIMEOUT_EXCEEDED) (version 26.7)')),
    ).toBe('timeout')
  })
})
