import {
  close,
  closeSync,
  fsync,
  ftruncateSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlink,
  writeSync,
  writevSync,
} from 'node:fs'
import { join, resolve } from 'node:path'
import { crc32 } from 'node:zlib'
import { PRIVATE_FILE, privateDir } from './files.ts'

/** A closed or open spool file; its name is also the insert deduplication token of its rows. */
export interface Segment {
  name: string
  path: string
  bytes: number
}

export interface SegmentContents {
  /** The good records' payloads, as written: JSON lines, ready to be inserted as they are. */
  payloads: Buffer[]
  /** Rows in them. */
  rows: number
  /** Records whose checksum did not match (skipped). */
  corrupt: number
  /** Bytes at the end that do not form a whole record (a write cut by a crash). */
  truncatedBytes: number
}

/** Where the spool of a data directory lives. */
export const spoolDirOf = (dataDir: string) => join(resolve(dataDir), 'spool')

/** Run id (start time) and sequence number: names sort in write order, and nothing else passes. */
export const SEGMENT_NAME = /^\d{15}-\d{9}$/

const HEADER = 8 // u32 payload length, u32 crc32 of the payload

/** How long a rolled segment waits for the next one to open before it is fsynced anyway. */
const SYNC_DELAY_MS = 1_000

/**
 * Write one record: an 8-byte header (the payload's length and crc32), then the payload, given to
 * writev as it is rather than copied behind the header. write(2) may write less than asked (a
 * filling disk); a record counts only once it is all there. Returns its length on disk.
 */
function writeRecord(fd: number, payload: Buffer): number {
  const header = Buffer.allocUnsafe(HEADER)
  header.writeUInt32LE(payload.length, 0)
  header.writeUInt32LE(crc32(payload), 4)
  const total = HEADER + payload.length
  let at = writevSync(fd, [header, payload])
  while (at < total) {
    const wrote = at < HEADER ? writevSync(fd, [header.subarray(at), payload]) : writeSync(fd, payload, at - HEADER)
    if (wrote === 0) throw new Error('spool write made no progress')
    at += wrote
  }
  return total
}

const errno = (err: unknown) => (err as NodeJS.ErrnoException).code

/**
 * Write-ahead spool: span rows are appended here (as JSON lines, in checksummed records) before
 * ClickHouse ever sees them, and a segment file is deleted only once ClickHouse acknowledged its
 * insert. Writes are plain writev(2) calls: the data is in the kernel the moment they return, so
 * a killed process loses nothing it recorded. Every write may throw (directory deleted, disk
 * full); none leaves a half-written record behind for the next one to follow.
 */
export class Spool {
  private fd: number | null = null
  private current: Segment | null = null
  private seq = 0
  private readonly runId = Date.now().toString().padStart(15, '0')
  /** The last rolled segment's file, fsynced once the next one is open (see roll). */
  private rolled: { fd: number; timer: NodeJS.Timeout } | null = null
  /** fsyncs and unlinks running on libuv's threads, awaited by settled(). */
  private readonly background = new Set<Promise<void>>()
  bytesOnDisk = 0

  constructor(readonly dir: string) {
    privateDir(dir)
  }

  /** Segments left by earlier runs, oldest first. */
  leftovers(): Segment[] {
    const files = readdirSync(this.dir)
    // A rewrite cut short by a crash: the segment it was replacing is still there, or was never written.
    for (const f of files.filter((x) => x.endsWith('.seg.tmp'))) rmSync(join(this.dir, f), { force: true })
    const segs = files
      .filter((f) => f.endsWith('.seg'))
      .sort()
      .map((name) => {
        const path = join(this.dir, name)
        return { name: name.slice(0, -4), path, bytes: statSync(path).size }
      })
    this.bytesOnDisk = segs.reduce((s, x) => s + x.bytes, 0)
    return segs
  }

  nextName(): string {
    return `${this.runId}-${String(++this.seq).padStart(9, '0')}`
  }

  segment(name: string): Segment {
    return { name, path: join(this.dir, `${name}.seg`), bytes: 0 }
  }

  /**
   * Append one record to the open segment, opening the next one first if none is. Throws when
   * the record could not be written whole; the segment is then cut back to its last whole record.
   */
  append(payload: Buffer): Segment {
    const opening = !this.current
    if (opening) this.openNext()
    const seg = this.current!
    let bytes: number
    try {
      bytes = writeRecord(this.fd!, payload)
    } catch (err) {
      try {
        ftruncateSync(this.fd!, seg.bytes)
      } catch {
        // Left as is, a partial record at the end is skipped (and reported) when read back.
      }
      throw err
    }
    seg.bytes += bytes
    this.bytesOnDisk += bytes
    // The new segment is created and written: only now may the last one's fsync commit the journal.
    if (opening) this.syncRolled()
    return seg
  }

  /**
   * End the open segment (if any) and hand it over for inserting; its file is fsynced and closed
   * later. A killed process loses nothing already written; fsync only guards against the machine
   * going down, so it runs on libuv's threads. And it starts only once the next segment is created
   * and first written (or after SYNC_DELAY_MS without one): an fsync commits the filesystem's
   * journal, and creating or writing a file while it commits waits for the commit, on the event
   * loop. The build VM showed that wait at up to 100 ms.
   */
  roll(): Segment | null {
    const seg = this.current
    this.current = null
    if (this.fd === null) return seg
    this.syncRolled()
    const timer = setTimeout(() => this.syncRolled(), SYNC_DELAY_MS)
    timer.unref()
    this.rolled = { fd: this.fd, timer }
    this.fd = null
    return seg
  }

  private syncRolled(): void {
    if (!this.rolled) return
    const { fd, timer } = this.rolled
    this.rolled = null
    clearTimeout(timer)
    this.track(new Promise((done) => fsync(fd, () => close(fd, () => done()))))
  }

  private track(work: Promise<void>): void {
    this.background.add(work)
    void work.then(() => this.background.delete(work))
  }

  /** Resolves once the last rolled segment is fsynced and every removal started so far is done. */
  async settled(): Promise<void> {
    this.syncRolled()
    await Promise.all(this.background)
  }

  /** Whether the segment's file is still there with every byte written to it (its directory may have been deleted). */
  holds(seg: Segment): boolean {
    try {
      return statSync(seg.path).size === seg.bytes
    } catch {
      return false
    }
  }

  /**
   * Write a whole segment in one go, replacing whatever part of it is on disk: for rows that
   * could not be appended when they were recorded. Atomic (a temporary file renamed over it).
   */
  rewrite(seg: Segment, payload: Buffer): void {
    const tmp = `${seg.path}.tmp`
    const fd = this.open(tmp, 'w')
    let bytes: number
    try {
      bytes = writeRecord(fd, payload)
      closeSync(fd)
      renameSync(tmp, seg.path)
    } catch (err) {
      try {
        closeSync(fd)
      } catch {
        /* already closed */
      }
      rmSync(tmp, { force: true })
      throw err
    }
    this.bytesOnDisk += bytes - seg.bytes
    seg.bytes = bytes
  }

  /**
   * Delete a segment ClickHouse has, on libuv's threads: unlink waits for the filesystem's journal
   * (2–4 ms each on the build VM, once a second under load). One already gone (its directory
   * deleted) is fine; any other failure goes to `failed`. A segment whose unlink a crash cut short
   * is inserted again at the next start and deduplicated by its name.
   */
  remove(seg: Segment, failed: (err: Error) => void): void {
    const path = seg.path
    this.forget(seg)
    this.track(
      new Promise((done) =>
        unlink(path, (err) => {
          try {
            if (err && err.code !== 'ENOENT') failed(err)
          } finally {
            done()
          }
        }),
      ),
    )
  }

  /** Stop counting a segment that left the spool some other way (moved, lost). */
  forget(seg: Segment): void {
    this.bytesOnDisk -= seg.bytes
    seg.bytes = 0
  }

  /** Count a segment moved (back) into the spool directory. */
  adopt(seg: Segment): void {
    this.bytesOnDisk += seg.bytes
  }

  private openNext(): void {
    const seg = this.segment(this.nextName())
    this.fd = this.open(seg.path, 'a')
    this.current = seg
  }

  /** Open a file in the spool directory, recreating the directory if it was deleted. */
  private open(path: string, flags: string): number {
    try {
      return openSync(path, flags, PRIVATE_FILE)
    } catch (err) {
      if (errno(err) !== 'ENOENT') throw err
      privateDir(this.dir)
      return openSync(path, flags, PRIVATE_FILE)
    }
  }

  /** Read back a segment, verifying each record; damage is reported, never fatal. */
  static read(seg: Segment): SegmentContents {
    const buf = readFileSync(seg.path)
    const payloads: Buffer[] = []
    let rows = 0
    let corrupt = 0
    let at = 0
    while (at + HEADER <= buf.length) {
      const len = buf.readUInt32LE(at)
      const sum = buf.readUInt32LE(at + 4)
      if (at + HEADER + len > buf.length) break
      const payload = buf.subarray(at + HEADER, at + HEADER + len)
      if (crc32(payload) !== sum) corrupt++
      else if (payload.length) {
        payloads.push(payload)
        rows += lineCount(payload)
      }
      at += HEADER + len
    }
    return { payloads, rows, corrupt, truncatedBytes: buf.length - at }
  }
}

/** Lines in a payload: rows are joined by newlines, with none at the end. */
function lineCount(payload: Buffer): number {
  let n = 1
  for (let i = payload.indexOf(0x0a); i >= 0; i = payload.indexOf(0x0a, i + 1)) n++
  return n
}
