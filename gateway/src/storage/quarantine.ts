import { chmodSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Store } from './client.ts'
import { clickHouseErrorName } from './clickhouse-errors.ts'
import { PRIVATE_FILE, privateDir } from './files.ts'
import { SEGMENT_NAME, type Segment } from './spool.ts'
import type { QuarantinedSegment } from '@tracegate/schemas'

/** What `<spool>/quarantine/<name>.json` says about a segment set aside, as the API and CLI list it. */
export type { QuarantinedSegment }

type Note = Pick<QuarantinedSegment, 'spans' | 'attempts' | 'error_code' | 'error'>

/**
 * Segments ClickHouse kept rejecting for their content, set aside so that the spool behind them
 * keeps flowing: `<spool>/quarantine/<name>.seg` as it was, next to `<name>.json` saying why.
 * Nothing here is deleted; `restore` moves a segment back into the spool to be tried again.
 */
export class Quarantine {
  readonly dir: string

  constructor(private readonly spoolDir: string) {
    this.dir = join(spoolDir, 'quarantine')
  }

  /** Make a quarantine left by an earlier version private; a missing one is created when first needed. */
  secure(): void {
    if (existsSync(this.dir)) privateDir(this.dir)
  }

  /** Move a segment (its file must hold all its rows) here, with a note of why. */
  put(seg: Segment, note: Note): QuarantinedSegment {
    privateDir(this.dir)
    const target = join(this.dir, `${seg.name}.seg`)
    // The segment first: a crash before the note leaves it listed, with its error unknown.
    renameSync(seg.path, target)
    chmodSync(target, PRIVATE_FILE)
    const entry = { segment: seg.name, ...note, quarantined_at: new Date().toISOString() }
    writeFileSync(join(this.dir, `${seg.name}.json`), `${JSON.stringify(entry, null, 2)}\n`, { mode: PRIVATE_FILE })
    return { ...entry, bytes: statSync(target).size }
  }

  /** Quarantined segments, oldest first. */
  list(): QuarantinedSegment[] {
    let files: string[]
    try {
      files = readdirSync(this.dir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
    return files
      .filter((f) => f.endsWith('.seg'))
      .sort()
      .map((f) => this.entry(f.slice(0, -4)))
  }

  /** Move a quarantined segment back into the spool directory; null when there is none by that name. */
  restore(name: string): { seg: Segment; spans: number } | null {
    if (!SEGMENT_NAME.test(name)) return null
    const entry = existsSync(join(this.dir, `${name}.seg`)) ? this.entry(name) : null
    if (!entry) return null
    const path = join(this.spoolDir, `${name}.seg`)
    renameSync(join(this.dir, `${name}.seg`), path)
    rmSync(join(this.dir, `${name}.json`), { force: true })
    return { seg: { name, path, bytes: entry.bytes }, spans: entry.spans }
  }

  private entry(name: string): QuarantinedSegment {
    const bytes = statSync(join(this.dir, `${name}.seg`)).size
    let note: Partial<QuarantinedSegment> = {}
    try {
      note = JSON.parse(readFileSync(join(this.dir, `${name}.json`), 'utf8')) as Partial<QuarantinedSegment>
    } catch {
      // No note (a crash between the move and the note): listed all the same.
    }
    return {
      segment: name,
      spans: note.spans ?? 0,
      attempts: note.attempts ?? 0,
      error_code: note.error_code ?? '',
      error: note.error ?? 'unknown (no note was written)',
      quarantined_at: note.quarantined_at ?? '',
      bytes,
    }
  }
}

/**
 * ClickHouse errors about the rows themselves: values it cannot parse or store. Only these count
 * toward quarantine; anything else (memory, sockets, overload, a table being altered) is the
 * store's trouble, and a healthy segment must not be set aside for it.
 */
const CONTENT_ERRORS = new Set([
  'TYPE_MISMATCH',
  'INCORRECT_DATA',
  'INCORRECT_NUMBER_OF_COLUMNS',
  'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
  'CANNOT_READ_ALL_DATA',
  'DECIMAL_OVERFLOW',
  'CANNOT_CONVERT_TYPE',
  'ILLEGAL_COLUMN',
  'NO_SUCH_COLUMN_IN_TABLE',
  'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN',
  'TOO_LARGE_STRING_SIZE',
  'TOO_LARGE_ARRAY_SIZE',
  'UNKNOWN_TYPE',
])
const isContentError = (name: string) => CONTENT_ERRORS.has(name) || name.startsWith('CANNOT_PARSE_')

/**
 * Whether a failed insert was about the segment's content rather than an outage: ClickHouse
 * itself answered with an error about the data, and the spans table still answers a trivial query.
 */
export async function rejectedForContent(store: Store, err: unknown): Promise<boolean> {
  if (!isContentError(clickHouseErrorName(err))) return false
  try {
    await store.client.command({ query: `SELECT 1 FROM ${store.database}.spans LIMIT 0` })
    return true
  } catch {
    return false
  }
}
