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

const dir = mkdtempSync(join(tmpdir(), 'tracegate-error-name-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('which failed inserts count toward quarantine', () => {
  it('a content error quoting "(NASA)" from a prompt is still a content error, named by its code', async () => {
    const store = await openStore(parseConfig({ storage: { data_dir: dir } }, {}))
    await migrate(store, 30, createLogger('silent'))
    const err = parseError(
      'Code: 41. DB::Exception: Cannot read DateTime: parsed text: "launch (NASA) tomorrow". (CANNOT_PARSE_DATETIME) (version 26.7.2.1)',
    ) as Error & { type: string }
    expect(err.type).toBe('NASA') // how the client reads it
    expect(await rejectedForContent(store, err)).toBe(true)
    expect(err.type).toBe('CANNOT_PARSE_DATETIME')
    // An outage-class error (too many parts) is not the segment's fault, whatever words it quotes.
    const busy = parseError(
      'Code: 252. DB::Exception: Too many parts (INCORRECT_DATA). (TOO_MANY_PARTS) (version 26.7)',
    )
    expect(await rejectedForContent(store, busy)).toBe(false)
    await store.client.close()
  })
})
