import { describe, expect, it } from 'vitest'
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Spool } from '../gateway/src/storage/spool.ts'
import { tracegate, until, useGateway } from './harness.ts'
import { requestRowValues, spoolPayload } from './span-fixtures.ts'

/**
 * A segment ClickHouse rejects for its content (here: a timestamp it cannot parse) must not
 * hold up the segments behind it: after spool.max_insert_attempts it is set aside in
 * spool/quarantine with its error, where `tracegate spool list|retry` can find and replay it.
 */
const TOKEN = 'quarantine-admin-token'
const ids = { poison: 'd'.repeat(32), behind1: 'e'.repeat(32), behind2: 'f'.repeat(32) }
let poison = ''
const env = useGateway(
  { spool: { max_insert_attempts: 2 } },
  {
    adminToken: TOKEN,
    // Written as an earlier run would have left them: the poison segment first, good ones behind it.
    beforeStart: () => {
      const spool = new Spool(spoolDir)
      const bad = requestRowValues(ids.poison)
      bad[1]![0] = 'not a timestamp'
      spool.append(spoolPayload(bad))
      poison = spool.roll()!.name
      for (const id of [ids.behind1, ids.behind2]) {
        spool.append(spoolPayload(requestRowValues(id)))
        spool.roll()
      }
    },
  },
)
const spoolDir = join(env.dataDir, 'spool')
const quarantineDir = join(spoolDir, 'quarantine')

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await tracegate(args, {
      cwd: env.dataDir,
      env: { ...process.env, TRACEGATE_DATA_DIR: env.dataDir, TRACEGATE_ADMIN_TOKEN: '' },
    })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}
const mode = (path: string) => statSync(path).mode & 0o777

describe('a segment ClickHouse keeps rejecting', () => {
  it('is moved to spool/quarantine with its error after max_insert_attempts; the segments behind it are written', async () => {
    for (const id of [ids.behind1, ids.behind2]) expect((await env.trace(id, 2, 20_000)).spans).toHaveLength(2)
    await until('quarantined', () => env.gw.writer.stats.quarantinedSegments === 1)
    expect(readdirSync(quarantineDir).sort()).toEqual([`${poison}.json`, `${poison}.seg`])
    await until('written segments removed', () => readdirSync(spoolDir).length === 1)
    expect(readdirSync(spoolDir)).toEqual(['quarantine'])
    const meta = JSON.parse(readFileSync(join(quarantineDir, `${poison}.json`), 'utf8'))
    expect(meta).toMatchObject({ segment: poison, spans: 2, attempts: 2, error_code: 'CANNOT_PARSE_DATETIME' })
    expect(meta.error).toContain('Cannot read DateTime')
    expect(Date.parse(meta.quarantined_at)).toBeGreaterThan(Date.now() - 60_000)
    expect([
      mode(quarantineDir),
      mode(join(quarantineDir, `${poison}.seg`)),
      mode(join(quarantineDir, `${poison}.json`)),
    ]).toEqual([0o700, 0o600, 0o600])
    expect(
      (await fetch(`${env.url}/api/traces/${ids.poison}`, { headers: { authorization: `Bearer ${TOKEN}` } })).status,
    ).toBe(404)

    const { code, body } = await env.readyz()
    expect(code).toBe(200)
    expect(body.status).toBe('degraded')
    expect(body.reasons).toEqual([
      {
        code: 'spans_quarantined',
        message:
          '1 spool segment (2 spans) rejected by ClickHouse was moved to spool/quarantine: see `tracegate spool list`',
      },
    ])
    expect(body.spans).toMatchObject({ quarantined_segments: 1, quarantined_spans: 2, spool_segments: 0 })
    const metrics = await (await fetch(`${env.url}/metrics`)).text()
    expect(metrics).toContain('\ntracegate_spool_quarantined_segments 1\n')
    expect(metrics).toContain('\ntracegate_spool_quarantined_spans 2\n')
  })

  it('`tracegate spool list` shows it; `spool retry` re-queues it, and it returns to quarantine when rejected again', async () => {
    expect((await fetch(`${env.url}/api/spool/quarantine`)).status).toBe(401)
    const list = await cli(['spool', 'list', '--url', env.url, '--token', TOKEN])
    expect(list.code).toBe(0)
    const lines = list.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'))
    expect(lines[0]).toEqual(['segment', 'spans', 'attempts', 'quarantined_at', 'error'])
    expect(lines).toHaveLength(2)
    expect(lines[1]!.slice(0, 3)).toEqual([poison, '2', '2'])
    expect(lines[1]![4]).toMatch(/^CANNOT_PARSE_DATETIME: Cannot read DateTime/)

    const failedBefore = env.gw.writer.stats.failedInserts
    const retry = await cli(['spool', 'retry', poison, '--url', env.url, '--token', TOKEN])
    expect(retry).toMatchObject({ code: 0, stdout: `re-queued ${poison}\n` })
    await until(
      'rejected twice more',
      () => env.gw.writer.stats.failedInserts === failedBefore + 2 && env.gw.writer.stats.quarantinedSegments === 1,
    )
    expect(readdirSync(quarantineDir).sort()).toEqual([`${poison}.json`, `${poison}.seg`])
    expect(env.gw.logs.filter((l) => l.includes('moved to spool/quarantine'))).toHaveLength(2)

    const unknown = await cli(['spool', 'retry', '000000000000000-000000009', '--url', env.url, '--token', TOKEN])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('no quarantined spool segment 000000000000000-000000009')
  })

  it('with the gateway stopped, the CLI lists and moves it back from the data directory; fixed, it lands at the next start', async () => {
    await env.close()
    const closedUrl = env.url
    // Repair the content by hand, as an operator would after reading the error.
    const fixDir = mkdtempSync(join(tmpdir(), 'tracegate-fix-'))
    const fixer = new Spool(fixDir)
    fixer.append(spoolPayload(requestRowValues(ids.poison)))
    copyFileSync(fixer.roll()!.path, join(quarantineDir, `${poison}.seg`))
    rmSync(fixDir, { recursive: true, force: true })

    const list = await cli(['spool', 'list', '--url', closedUrl])
    expect(list.code).toBe(0)
    expect(list.stdout.trim().split('\n')[1]!.split('\t').slice(0, 3)).toEqual([poison, '2', '2'])
    const retry = await cli(['spool', 'retry', '--all', '--url', closedUrl])
    expect(retry).toMatchObject({
      code: 0,
      stdout: `moved ${poison} back to the spool: it is written at the next start\n`,
    })
    expect(readdirSync(quarantineDir)).toEqual([])
    expect(readdirSync(spoolDir).sort()).toEqual([`${poison}.seg`, 'quarantine'])

    await env.restart()
    expect((await env.trace(ids.poison, 2, 20_000)).spans).toHaveLength(2)
    await until('replayed', () => env.gw.writer.stats.segments === 0)
    const { code, body } = await env.readyz()
    expect(code).toBe(200)
    expect(body.status).toBe('ready')
    expect(body.spans).toMatchObject({ quarantined_segments: 0, quarantined_spans: 0 })
  })
})
