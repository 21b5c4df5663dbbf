import { readdirSync, rmSync } from 'node:fs'
import { mkdir, rm, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ClickHouseClient } from '@clickhouse/client'
import { privateDir } from './files.ts'

/**
 * Rows already encoded as JSONCompactEachRow lines, for the named columns. No timeout or signal: the
 * insert reads `values` until its promise settles, and the span writer reuses that memory (a row
 * arena) for the next batch as soon as it has.
 */
export interface RawInsert {
  table: string
  columns: readonly string[]
  settings: Record<string, string | number>
  values: Buffer
}

/**
 * Inserts into the embedded engine by way of a file: the batch's bytes are written to `dir`, the
 * engine reads them with `INSERT … SELECT * FROM file()`, and the file is removed.
 *
 * Why not hand the bytes over in memory: chDB's in-memory insert passes them as the text of the
 * query, and the engine holds several copies of a query's text while it runs. A 10,000-row batch
 * (6.5 MB) held 55–61 MB of the engine's memory that way and 19–22 MB read from a file, and cost
 * the engine more CPU (docs/performance-log.md, "Inserts read from a file"). The file is written on libuv's threads
 * and read back from the page cache; it is not the durable copy, which is the spool's segment. When
 * it cannot be written (a full disk, the directory removed), the batch goes by `inMemory` instead.
 */
export function fileInserter(
  client: ClickHouseClient,
  dir: string,
  inMemory: (insert: RawInsert) => Promise<void>,
): (insert: RawInsert) => Promise<void> {
  privateDir(dir)
  // Left by a process that died mid-insert (their rows are still in its spool); a container's
  // gateway gets the same pid on every start. Another live process's files are its own business.
  for (const name of readdirSync(dir)) {
    const pid = Number.parseInt(name, 10)
    if (pid === process.pid || !alive(pid)) rmSync(join(dir, name), { force: true })
  }
  let seq = 0
  return async (insert) => {
    const { table, columns, settings, values } = insert
    const file = join(dir, `${process.pid}-${++seq}.jsonl`)
    try {
      await writeFile(file, values, { mode: 0o600 })
    } catch (err) {
      await rm(file, { force: true }).catch(() => undefined)
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        await mkdir(dir, { recursive: true, mode: 0o700 }).catch(() => undefined)
      return inMemory(insert)
    }
    try {
      await client.command({
        // Table and columns are ours (the spans table's), never a caller's; the path is a parameter.
        query: `INSERT INTO ${table} (${columns.map((c) => `\`${c}\``).join(', ')}) SELECT * FROM file({file:String}, 'JSONCompactEachRow')`,
        query_params: { file },
        clickhouse_settings: settings,
      })
    } finally {
      await unlink(file).catch(() => undefined)
    }
  }
}

function alive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
