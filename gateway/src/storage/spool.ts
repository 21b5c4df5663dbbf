import { close, fsync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { PRIVATE_FILE, privateDir } from './files.ts'

/** A closed or open spool file; its name is also the insert deduplication token of its rows. */
export interface Segment {
  name: string
  path: string
  bytes: number
}

export interface SegmentContents {
  lines: string[]
  /** Records whose checksum did not match (skipped). */
  corrupt: number
  /** Bytes at the end that do not form a whole record (a write cut by a crash). */
  truncatedBytes: number
}

const HEADER = 8 // u32 payload length, u32 crc32 of the payload

/**
 * Write-ahead spool: span rows are appended here (as JSON lines, in checksummed records) before
 * ClickHouse ever sees them, and a segment file is deleted only once ClickHouse acknowledged its
 * insert. Writes are plain write(2) calls: the data is in the kernel the moment they return, so
 * a killed process loses nothing it recorded.
 */
export class Spool {
  private fd: number | null = null
  private current: Segment | null = null
  private seq = 0
  private readonly runId = Date.now().toString().padStart(15, '0')
  bytesOnDisk = 0

  constructor(private readonly dir: string) {
    privateDir(dir)
  }

  /** Segments left by earlier runs, oldest first. */
  leftovers(): Segment[] {
    const segs = readdirSync(this.dir).filter((f) => f.endsWith('.seg')).sort().map((name) => {
      const path = join(this.dir, name)
      return { name: name.slice(0, -4), path, bytes: statSync(path).size }
    })
    this.bytesOnDisk = segs.reduce((s, x) => s + x.bytes, 0)
    return segs
  }

  append(payload: Buffer): void {
    if (!this.current) this.openNext()
    // Header and payload in one buffer: one write(2) per record.
    const record = Buffer.allocUnsafe(HEADER + payload.length)
    record.writeUInt32LE(payload.length, 0)
    record.writeUInt32LE(crc32(payload), 4)
    payload.copy(record, HEADER)
    writeSync(this.fd!, record)
    this.current!.bytes += record.length
    this.bytesOnDisk += record.length
  }

  /** Close the open segment (if it has data) and hand it over for inserting. */
  roll(): Segment | null {
    if (!this.current || this.fd === null) return null
    // A killed process loses nothing already written; fsync only guards against the machine
    // going down, so it runs in the background rather than stalling the event loop.
    const fd = this.fd
    fsync(fd, () => close(fd, () => undefined))
    const seg = this.current
    this.fd = null
    this.current = null
    return seg
  }

  private openNext(): void {
    const name = `${this.runId}-${String(++this.seq).padStart(9, '0')}`
    const path = join(this.dir, `${name}.seg`)
    this.fd = openSync(path, 'a', PRIVATE_FILE)
    this.current = { name, path, bytes: 0 }
  }

  remove(seg: Segment): void {
    unlinkSync(seg.path)
    this.bytesOnDisk -= seg.bytes
  }

  /** Read back a segment, verifying each record; damage is reported, never fatal. */
  static read(seg: Segment): SegmentContents {
    const buf = readFileSync(seg.path)
    const lines: string[] = []
    let corrupt = 0
    let at = 0
    while (at + HEADER <= buf.length) {
      const len = buf.readUInt32LE(at)
      const sum = buf.readUInt32LE(at + 4)
      if (at + HEADER + len > buf.length) break
      const payload = buf.subarray(at + HEADER, at + HEADER + len)
      if (crc32(payload) === sum) {
        for (const l of payload.toString('utf8').split('\n')) if (l) lines.push(l)
      } else {
        corrupt++
      }
      at += HEADER + len
    }
    return { lines, corrupt, truncatedBytes: buf.length - at }
  }
}
