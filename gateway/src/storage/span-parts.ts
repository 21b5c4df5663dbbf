import { localTable, onCluster, type Layout } from './layout.ts'

/*
 * How the spans table lays out its parts on disk: the table settings that keep the engine's
 * inserts and merges small in memory (migrations v13 and v14). The span writer reads
 * WIDE_PART_ROWS to warn about a batch size that would undo v14.
 */

/**
 * v13: spans merge one column at a time. The table is wide (50 columns, two of them bodies), and a
 * horizontal merge reads every column of every part and writes every column (each with its own
 * buffers) at once: merging six fresh 10,000-row parts took the embedded engine 250-330 MB, its
 * largest allocation under load.
 * A vertical merge sorts by the key columns first, then carries each other column through on its own.
 * ClickHouse only picks it from 131,072 rows; every merge of this table is wide enough to want it.
 */
export const verticalSpanMerges = (l: Layout) => [
  `ALTER TABLE ${localTable(l, 'spans')}${onCluster(l)} MODIFY SETTING vertical_merge_algorithm_min_rows_to_activate = 1`,
]

/**
 * v14: a batch's insert writes a compact part (one file for all columns) whatever its bytes. Past
 * 10 MB uncompressed (10,000 spans with ~1 KB bodies) ClickHouse wrote it wide, a file per column,
 * each with its own compression and write buffers: 300-375 MB of engine memory per insert, against
 * 60-150 MB compact, and twice the time. Parts of 20,000 rows and more (merges) stay wide, so
 * they still merge one column at a time (v13).
 */
export const WIDE_PART_ROWS = 20_000
export const compactInsertParts = (l: Layout) => [
  `ALTER TABLE ${localTable(l, 'spans')}${onCluster(l)} MODIFY SETTING min_rows_for_wide_part = ${WIDE_PART_ROWS}`,
]
