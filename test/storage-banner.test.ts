import { describe, expect, it } from 'vitest'
import { storageWarning, type Readiness } from '../ui/src/lib/health.ts'

/** The explorer's banner for each /readyz state the durability work added (the body of a 503 included). */
const readyz = (spans: Partial<Readiness['spans']>, extra: Partial<Readiness> = {}): Readiness => ({
  status: 'degraded',
  reasons: [],
  storage: { reachable: true, spans_table: true },
  ...extra,
  spans: { pending: 0, dropped: 0, spool_segments: 0, failed_inserts: 0, ...spans },
})

describe('storage banner', () => {
  it('names a missing spans table, a spool that cannot be written, and quarantined segments', () => {
    expect(
      storageWarning(readyz({ pending: 8 }, { status: 'not_ready', storage: { reachable: true, spans_table: false } })),
    ).toEqual({
      level: 'error',
      text: 'The spans table is missing in ClickHouse: 8 spans wait in the spool and appear here once it is back.',
    })
    expect(storageWarning(readyz({ memory_rows: 1200, spool_writable: false }))).toEqual({
      level: 'error',
      text: 'The spool directory cannot be written: 1,200 spans wait in memory. Check the disk and the data directory.',
    })
    expect(storageWarning(readyz({ quarantined_segments: 2, quarantined_spans: 14 }))).toEqual({
      level: 'warn',
      text: '14 spans in 2 spool segments were rejected by ClickHouse and set aside: see `tracegate spool list`.',
    })
  })

  it('drops are an error while they happen, a warning once they are history', () => {
    expect(
      storageWarning(
        readyz({ dropped: 10 }, { status: 'not_ready', reasons: [{ code: 'spans_dropping', message: '' }] }),
      )!.level,
    ).toBe('error')
    expect(
      storageWarning(readyz({ dropped: 10 }, { reasons: [{ code: 'spans_dropped_earlier', message: '' }] })),
    ).toEqual({
      level: 'warn',
      text: '10 spans were dropped earlier; none are being dropped now.',
    })
    expect(storageWarning(readyz({}, { status: 'ready' }))).toBeNull()
  })
})
