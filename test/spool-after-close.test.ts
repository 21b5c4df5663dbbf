import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig } from '../gateway/src/config/load.ts'
import { createLogger } from '../gateway/src/log.ts'
import { openStore } from '../gateway/src/storage/client.ts'
import { migrate } from '../gateway/src/storage/migrate.ts'
import { SpanWriter } from '../gateway/src/storage/writer.ts'
import { requestRows } from './span-fixtures.ts'

const dir = mkdtempSync(join(tmpdir(), 'tracegate-after-close-'))
const log = createLogger('silent')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the span writer during shutdown', () => {
  it('writes rows recorded after close() to the spool at once, so an exit right after loses none', async () => {
    const store = await openStore(parseConfig({ storage: { data_dir: dir } }, {}))
    await migrate(store, 30, log)
    const opts = {
      batchRows: 1000,
      flushMs: 50,
      maxSpoolBytes: 1e9,
      maxMemoryRows: 1000,
      maxInsertAttempts: 5,
      spoolDir: join(dir, 'spool'),
    }
    const writer = new SpanWriter(store, opts, log)
    await writer.close()
    // A stream cut at the end of the grace period is recorded after the writer closed; the process exits next.
    writer.add(requestRows('a5'.repeat(16)))
    // No turn of the event loop in between: what the next start finds is what an exit now would leave.
    const next = new SpanWriter(store, opts, log)
    await next.close()
    expect(next.stats.replayed).toBe(2)
    const counted = await store.client.query({
      query: 'SELECT count() AS n FROM tracegate.spans',
      format: 'JSONEachRow',
    })
    expect(await counted.json()).toEqual([{ n: 2 }])
    await store.client.close()
  })
})
