import { describe, expect, it } from 'vitest'
import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { useGateway } from './harness.ts'

/** The data directory holds request and response bodies: only the gateway's user may read it. */
const env = useGateway((mock) => ({ providers: { openai: { base_url: `${mock.url}/v1` } } }), {
  beforeStart: (dataDir) => {
    process.umask(0o022) // the usual default, which leaves new files world-readable
    // Directories left by an earlier version, readable by everyone.
    for (const d of ['spool', 'clickhouse']) mkdirSync(join(dataDir, d))
    for (const d of [dataDir, join(dataDir, 'spool'), join(dataDir, 'clickhouse')]) chmodSync(d, 0o755)
  },
})
const { dataDir } = env

const mode = (path: string) => statSync(path).mode & 0o777

describe('files the gateway writes', () => {
  it('the data, spool and ClickHouse directories are 0700 and spool segments 0600', async () => {
    const db = env.gw.store.database
    await env.gw.store.client.command({ query: `DETACH TABLE ${db}.spans` })
    try {
      const res = await env.post('/v1/chat/completions', {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'private' }],
      })
      expect(res.status).toBe(200)
      // The table is detached, so the segment stays on disk to be looked at.
      const until = Date.now() + 10_000
      while (env.gw.writer.stats.failedInserts === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
      const segments = readdirSync(join(dataDir, 'spool')).filter((f) => f.endsWith('.seg'))
      expect(segments).toHaveLength(1)
      expect(mode(join(dataDir, 'spool', segments[0]!))).toBe(0o600)
    } finally {
      await env.gw.store.client.command({ query: `ATTACH TABLE ${db}.spans` })
    }
    expect([mode(dataDir), mode(join(dataDir, 'spool')), mode(join(dataDir, 'clickhouse'))]).toEqual([
      0o700, 0o700, 0o700,
    ])
  })
})
