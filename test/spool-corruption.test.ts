import { afterAll, describe, expect, it } from 'vitest'
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Spool } from '../gateway/src/storage/spool.ts'
import { requestRowValues, spoolPayload } from './span-fixtures.ts'
import { startTestGateway, waitForTrace, type TestGateway } from './helpers.ts'

let gw: TestGateway | undefined
afterAll(async () => gw?.stop())

/** The spool payload one recorded request would have produced. */
const requestRows = (traceId: string) => spoolPayload(requestRowValues(traceId))

describe('a damaged spool segment', () => {
  it('is detected at start: good records are replayed, the bad one reported, start-up does not fail', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tracegate-spool-'))
    const ids = ['a'.repeat(32), 'b'.repeat(32), 'c'.repeat(32)]
    const spool = new Spool(join(dataDir, 'spool'))
    for (const id of ids) spool.append(requestRows(id))
    const seg = spool.roll()!
    // Flip one byte inside the second record's payload, then leave half a record at the end.
    const bytes = readFileSync(seg.path)
    const second = 8 + bytes.readUInt32LE(0)
    bytes[second + 8 + 40] = bytes[second + 8 + 40]! ^ 0xff
    writeFileSync(seg.path, bytes)
    appendFileSync(seg.path, Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 5, 6]))

    gw = await startTestGateway({}, {}, dataDir)
    for (const id of [ids[0]!, ids[2]!]) expect((await waitForTrace(gw.url, id, 2)).spans).toHaveLength(2)
    expect((await fetch(`${gw.url}/api/traces/${ids[1]}`)).status).toBe(404)
    expect(gw.writer.stats.corruptRecords).toBe(1)
    expect(gw.writer.stats.replayed).toBe(4)
    const report = gw.logs.map((l) => JSON.parse(l)).find((l) => l.msg?.startsWith('damaged spool segment'))
    expect(report).toMatchObject({ corrupt_records: 1, truncated_bytes: 10, rows_kept: 4 })
    expect(readdirSync(join(dataDir, 'spool'))).toEqual([])
  })
})
