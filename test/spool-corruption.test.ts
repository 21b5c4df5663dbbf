import { describe, expect, it } from 'vitest'
import { appendFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Spool } from '../gateway/src/storage/spool.ts'
import { requestRowValues, spoolPayload } from './span-fixtures.ts'
import { until, useGateway } from './harness.ts'

/** The spool payload one recorded request would have produced. */
const requestRows = (traceId: string) => spoolPayload(requestRowValues(traceId))

const ids = ['a'.repeat(32), 'b'.repeat(32), 'c'.repeat(32)]
const env = useGateway(
  {},
  {
    beforeStart: (dataDir) => {
      const spool = new Spool(join(dataDir, 'spool'))
      for (const id of ids) spool.append(requestRows(id))
      const seg = spool.roll()!
      // Flip one byte inside the second record's payload, then leave half a record at the end.
      const bytes = readFileSync(seg.path)
      const second = 8 + bytes.readUInt32LE(0)
      bytes[second + 8 + 40] = bytes[second + 8 + 40]! ^ 0xff
      writeFileSync(seg.path, bytes)
      appendFileSync(seg.path, Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 5, 6]))
    },
  },
)

describe('a damaged spool segment', () => {
  it('is detected at start: good records are replayed, the bad one reported, start-up does not fail', async () => {
    for (const id of [ids[0]!, ids[2]!]) expect((await env.trace(id, 2)).spans).toHaveLength(2)
    expect((await fetch(`${env.url}/api/traces/${ids[1]}`)).status).toBe(404)
    expect(env.gw.writer.stats.corruptRecords).toBe(1)
    expect(env.gw.writer.stats.replayed).toBe(4)
    const report = env.gw.logs.map((l) => JSON.parse(l)).find((l) => l.msg?.startsWith('damaged spool segment'))
    expect(report).toMatchObject({ corrupt_records: 1, truncated_bytes: 10, rows_kept: 4 })
    // The replayed segment is unlinked off the event loop, right after its insert.
    await until('segment removed', () => readdirSync(join(env.dataDir, 'spool')).length === 0)
    expect(readdirSync(join(env.dataDir, 'spool'))).toEqual([])
  })
})
