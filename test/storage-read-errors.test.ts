import { beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { ClickHouseLogLevel, createClient } from '@clickhouse/client'
import { storageError } from '../gateway/src/api/storage-errors.ts'
import type { TraceResponse } from '@tracegate/schemas'
import { errorOf, useGateway } from './harness.ts'

const env = useGateway((mock) => ({ providers: { openai: { base_url: `${mock.url}/v1` } } }), {
  apiKey: 'sk-read-errors',
})
let traceId: string

beforeAll(async () => {
  const res = await env.chat('gpt-4o')
  traceId = res.headers.get('x-tracegate-trace-id')!
  await env.trace(traceId)
})

/** A cursor in the gateway's own format (`<DateTime64 text>|<span id>`), base64url as the API hands it out. */
const cursor = (ts: string) => Buffer.from(`${ts}|0123456789abcdef`).toString('base64url')

describe('explorer reads: what went wrong decides the status', () => {
  it('a well-formed cursor holding an impossible or out-of-range time is a 400 on the cursor, not a storage outage', async () => {
    for (const ts of ['9999-12-31 23:59:59', '1000-01-01 00:00:00', '2026-99-99 99:99:99', '2026-02-30 10:00:00']) {
      const res = await fetch(`${env.url}/api/traces?cursor=${cursor(ts)}`)
      expect(res.status, ts).toBe(400)
      const error = await errorOf(res)
      expect(error.code).toBe('invalid_request')
      expect(error.param).toBe('cursor')
    }
    const good = await fetch(`${env.url}/api/traces?cursor=${cursor('2026-01-01 00:00:00.123456789')}`)
    expect(good.status).toBe(200)
  })

  it('with the spans table gone, reads are 503 storage_unavailable with a one-line reason', async () => {
    const db = env.gw.store.database
    await env.gw.store.client.command({ query: `DETACH TABLE ${db}.spans` })
    try {
      const now = Date.now()
      const reads = [
        fetch(`${env.url}/api/traces`),
        fetch(`${env.url}/api/traces/${traceId}`),
        fetch(
          `${env.url}/api/meta-keys?from=${new Date(now - 3_600_000).toISOString()}&to=${new Date(now).toISOString()}`,
        ),
        fetch(`${env.url}/api/query`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            from: new Date(now - 3_600_000).toISOString(),
            to: new Date(now).toISOString(),
            group_by: ['user'],
            metrics: ['requests'],
          }),
        }),
      ]
      for (const res of await Promise.all(reads)) {
        expect(res.status).toBe(503)
        const error = await errorOf(res)
        expect(error.code).toBe('storage_unavailable')
        expect(error.type).toBe('server_error')
        expect(error.message).toContain('spans')
        expect(error.message).not.toContain('\n')
      }
    } finally {
      await env.gw.store.client.command({ query: `ATTACH TABLE ${db}.spans` })
    }
    expect((await fetch(`${env.url}/api/traces/${traceId}`)).status).toBe(200)
  })

  it('a column of another type than the gateway reads is a 503 naming the column, not a 500 or a wrong value', async () => {
    // A table altered by hand (or by a gateway version that disagrees): Stream now holds the text 'true'/'false'.
    const spans = `${env.gw.store.database}.spans`
    const alter = (type: string) =>
      env.gw.store.client.command({
        query: `ALTER TABLE ${spans} MODIFY COLUMN Stream ${type}`,
        clickhouse_settings: { mutations_sync: '2' },
      })
    await alter('String')
    try {
      for (const [read, url] of [
        ['trace list', `${env.url}/api/traces`],
        ['trace detail', `${env.url}/api/traces/${traceId}`],
      ] as const) {
        const res = await fetch(url)
        expect(res.status, read).toBe(503)
        const error = await errorOf(res)
        expect(error.code).toBe('storage_unavailable')
        expect(error.type).toBe('server_error')
        expect(error.message).toBe(
          `the span store answered rows this gateway cannot read: ${read}, row 1, column Stream: expected boolean, received string`,
        )
      }
    } finally {
      await alter('Bool')
    }
    const trace = await fetch(`${env.url}/api/traces/${traceId}`)
    expect(trace.status).toBe(200)
    expect(((await trace.json()) as TraceResponse).spans.map((s) => s.stream)).toEqual([false, false])
  })
})

/** What a read rejects with: the real error from the embedded engine or the HTTP client. */
const failure = (read: Promise<unknown>) =>
  read.then(
    () => expect.fail('the read succeeded'),
    (err: unknown) => err,
  )

describe('storage errors reaching the API are classified by what ClickHouse and its client report', () => {
  it('a value ClickHouse cannot use is a 400, running out of time a 504, a missing table a 503', async () => {
    const client = env.gw.store.client
    const badValue = await failure(
      client.query({
        query: 'SELECT {t:DateTime64(9)} AS t',
        query_params: { t: '9999-12-31 23:59:59' },
        format: 'JSONEachRow',
      }),
    )
    expect(storageError(badValue).toJSON().error).toMatchObject({
      code: 'invalid_request',
      type: 'invalid_request_error',
    })
    expect(storageError(badValue).message).toContain('DateTime64(9)')

    const slow = await failure(
      client.query({
        query:
          'SELECT count() FROM numbers(1000000000) WHERE sipHash64(number) % 7 = 3 SETTINGS max_execution_time = 0.01',
        format: 'JSONEachRow',
      }),
    )
    expect(storageError(slow).code).toBe('storage_timeout')
    expect(storageError(slow).status).toBe(504)

    const missing = await failure(
      client.query({ query: `SELECT 1 FROM ${env.gw.store.database}.no_such_table`, format: 'JSONEachRow' }),
    )
    expect(storageError(missing).code).toBe('storage_unavailable')
    expect(storageError(missing).status).toBe(503)
  })

  it('against a ClickHouse server: the client giving up is a 504, a refused connection a 503', async () => {
    const sockets = new Set<Socket>()
    const silent = createServer((s) => sockets.add(s)) // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`
    const quiet = { log: { level: ClickHouseLogLevel.OFF } }
    const hung = createClient({ url, request_timeout: 200, ...quiet })
    try {
      const timedOut = await failure(hung.query({ query: 'SELECT 1', format: 'JSONEachRow' }))
      expect(storageError(timedOut).code).toBe('storage_timeout')
    } finally {
      await hung.close()
      for (const s of sockets) s.destroy()
      await new Promise((r) => silent.close(r))
    }
    const refused = createClient({ url, request_timeout: 2000, ...quiet })
    try {
      expect(storageError(await failure(refused.query({ query: 'SELECT 1', format: 'JSONEachRow' }))).code).toBe(
        'storage_unavailable',
      )
    } finally {
      await refused.close()
    }
  })
})
