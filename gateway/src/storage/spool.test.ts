import { afterEach, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Spool } from './spool.ts'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function spoolInTemp(): Spool {
  const dir = mkdtempSync(join(tmpdir(), 'tracegate-spool-'))
  dirs.push(dir)
  return new Spool(join(dir, 'spool'))
}

/** The files this process holds open. */
function openFiles(): string[] {
  const files: string[] = []
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      files.push(readlinkSync(`/proc/self/fd/${fd}`))
    } catch {
      // closed between the listing and the read
    }
  }
  return files
}

const row = Buffer.from('["2026-12-01 00:00:00.000000000","t"]')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A spool whose one segment, holding one record, was just rolled. */
function withRolledSegment() {
  const spool = spoolInTemp()
  const seg = spool.append(row)
  spool.roll()
  return { spool, seg }
}

describe('the spool keeps its file-system work off the event loop', () => {
  it("fsyncs a rolled segment only once the next one is open: creating a file waits for the journal's commit an fsync starts", async () => {
    const { spool, seg: first } = withRolledSegment()
    await sleep(150)
    expect(openFiles()).toContain(first.path)
    const second = spool.append(row)
    await spool.settled()
    expect(openFiles()).not.toContain(first.path)
    expect(openFiles()).toContain(second.path)
    spool.roll()
    await spool.settled()
  })

  it('fsyncs and closes a rolled segment after a second when no next segment opens', async () => {
    const { seg } = withRolledSegment()
    await sleep(500)
    expect(openFiles()).toContain(seg.path)
    // fsync itself may take a while on a busy disk: wait for it, well past the second.
    const until = Date.now() + 10_000
    while (openFiles().includes(seg.path) && Date.now() < until) await sleep(50)
    expect(openFiles()).not.toContain(seg.path)
  })

  it('removes a segment on libuv threads: gone once settled, its bytes uncounted, a failure reported', async () => {
    const { spool, seg } = withRolledSegment()
    const failures: string[] = []
    const failed = (err: Error) => failures.push((err as NodeJS.ErrnoException).code ?? '')
    spool.remove(seg, failed)
    expect(spool.bytesOnDisk).toBe(0)
    await spool.settled()
    expect(existsSync(seg.path)).toBe(false)
    // Already gone: fine. A directory in its place cannot be unlinked: reported.
    spool.remove(seg, failed)
    const blocked = spool.segment('000000000000001-000000001')
    mkdirSync(blocked.path)
    spool.remove(blocked, failed)
    await spool.settled()
    expect(failures).toEqual(['EISDIR'])
  })
})

describe('a record cut short by a full disk', () => {
  it('is cut back to the last whole record: the writes that took part of it leave nothing behind', () => {
    const spool = spoolInTemp()
    // A file-size limit of 8 KiB: the third 3,008-byte record is written in part (6,016 + 2,176),
    // then the next write fails (EFBIG, with SIGXFSZ ignored), as a filling disk does with ENOSPC.
    const script = `
      import { Spool } from ${JSON.stringify(join(import.meta.dirname, 'spool.ts'))}
      process.on('SIGXFSZ', () => {})
      const spool = new Spool(${JSON.stringify(spool.dir)})
      const payload = Buffer.alloc(3000, 120)
      let error = ''
      let seg
      for (let i = 0; i < 3; i++) {
        try { seg = spool.append(payload) } catch (err) { error = err.code }
      }
      const read = Spool.read(spool.roll())
      console.log(JSON.stringify({ error, bytes: seg.bytes, records: read.payloads.length, corrupt: read.corrupt, truncated: read.truncatedBytes }))
    `
    const out = execFileSync(
      'bash',
      ['-c', 'ulimit -f 8 && exec "$0" --import tsx --input-type=module -e "$1"', process.execPath, script],
      {
        encoding: 'utf8',
      },
    )
    expect(JSON.parse(out)).toEqual({ error: 'EFBIG', bytes: 6016, records: 2, corrupt: 0, truncated: 0 })
    expect(statSync(join(spool.dir, readdirSync(spool.dir)[0]!)).size).toBe(6016)
  })
})
