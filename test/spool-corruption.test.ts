import { afterAll, describe, expect, it } from 'vitest'
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spanRowValues } from '@tracegate/schemas'
import { Spool } from '../gateway/src/storage/spool.ts'
import { buildRows } from '../gateway/src/spans/build.ts'
import { Pricer } from '../gateway/src/spans/pricing.ts'
import { ProviderRegistry } from '../gateway/src/providers/registry.ts'
import { parseConfig } from '../gateway/src/config/load.ts'
import type { RequestObservation } from '../gateway/src/spans/observation.ts'
import { startTestGateway, waitForTrace, type TestGateway } from './helpers.ts'

let gw: TestGateway | undefined
afterAll(async () => gw?.stop())

const adapter = new ProviderRegistry(parseConfig({})).get('openai')!
const opts = { serviceName: 'tracegate', captureBodies: true, maxBodyBytes: 1000, pricer: new Pricer({}), resource: {} }

/** The rows one recorded request would have produced. */
function requestRows(traceId: string) {
  const t = Date.now() - 60_000
  const o: RequestObservation = {
    traceId, spanId: traceId.slice(0, 16), parentSpanId: '', traceState: '', route: '/v1/chat/completions', method: 'POST', wire: 'openai',
    operation: 'chat', stream: false, requestedModel: 'gpt-4o', alias: '', startMs: t, endMs: t + 5, httpStatus: 200, errorType: '', errorMessage: '',
    attribution: { workflow: 'replay', team: '', user: '', sessionId: '', tags: [], meta: {} }, keyName: '', requestBody: null, requestParams: {}, events: [],
    attempts: [{ spanId: traceId.slice(16), index: 1, adapter, model: 'gpt-4o', path: '/v1/chat/completions', startMs: t + 1, endMs: t + 4, ttftMs: null, ttfbMs: null, httpStatus: 200, errorType: '', errorMessage: '', response: null, targetIndex: 0, resendCount: 0, isFallback: false, retryReason: '', backoffMs: 0 }],
  }
  return Buffer.from(buildRows(o, opts).map((r) => JSON.stringify(spanRowValues(r))).join('\n'))
}

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
