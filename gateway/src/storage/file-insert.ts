import { readdirSync, rmSync } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ClickHouseClient } from '@clickhouse/client'
import { PRIVATE_FILE, privateDir } from './files.ts'
import { sqlColumnList } from './span-row.ts'

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
 * the engine more CPU (docs/performance-log.md, "Inserts read from a file"). The file is written
 * on libuv's threads and read back from the page cache; it is not the durable copy, which is the
 * spool's segment. When it cannot be written (a full disk, the directory removed), the batch goes
 * by `inMemory` instead, and a removed directory is made again for the next one.
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
      await writeFile(file, values, { mode: PRIVATE_FILE })
    } catch (err) {
      await discard(file)
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') remake(dir)
      return inMemory(insert)
    }
    try {
      await client.command({
        // Table and columns are ours (the spans table's), never a caller's; the path is a parameter.
        query: `INSERT INTO ${table} (${sqlColumnList(columns)}) SELECT * FROM file({file:String}, 'JSONCompactEachRow')`,
        query_params: { file },
        clickhouse_settings: settings,
      })
    } finally {
      await discard(file)
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

/** Make the directory again (removed under us); if that fails too, the next batch goes in memory as well. */
function remake(dir: string): void {
  try {
    privateDir(dir)
  } catch {
    // The rows still land, by the in-memory insert; the spool and its health report disk trouble.
  }
}

/** A batch's file is scratch: a failure to remove it only leaves it for the next start to clean. */
const discard = (file: string) => rm(file, { force: true }).catch(() => undefined)
