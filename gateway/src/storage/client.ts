import { join, resolve } from 'node:path'
import { createClient, parseError, type ClickHouseClient } from '@clickhouse/client'
import type { Config } from '@tracegate/schemas'
import { fileInserter, type RawInsert } from './file-insert.ts'
import { privateDir } from './files.ts'
import type { Layout } from './layout.ts'

export interface Store extends Layout {
  client: ClickHouseClient
  database: string
  engine: 'chdb' | 'server'
  /** The ClickHouse cluster the tables span (storage.cluster); empty on one node. */
  cluster: string
  /** Where the embedded engine keeps its files ('' on a server). */
  path: string
  /** The embedded engine only: a batch of encoded rows, which the engine reads as the bytes they are. */
  insertRaw?: (insert: RawInsert) => Promise<void>
  /** Close the client; on the embedded engine, also wait until its connection is really torn down. */
  close: () => Promise<void>
}

export type { RawInsert }

const SETTINGS = { output_format_json_quote_64bit_integers: 0 } as const

/**
 * The single place that knows which engine runs underneath: chDB in-process by default, a
 * ClickHouse server when `clickhouse_url` is set. Everything else speaks @clickhouse/client.
 */
export async function openStore(config: Config): Promise<Store> {
  const { storage } = config
  if (storage.clickhouse_url) {
    const client = createClient({
      url: storage.clickhouse_url,
      username: storage.username,
      password: storage.password,
      clickhouse_settings: SETTINGS,
      request_timeout: 30_000,
    })
    const close = () => client.close()
    return { client, database: storage.database, engine: 'server', cluster: storage.cluster ?? '', path: '', close }
  }
  const { createChdbConnection } = await import('chdb/connection')
  // The data directory holds every span, bodies included: private, like the spool in it.
  privateDir(resolve(storage.data_dir))
  const path = resolve(join(storage.data_dir, 'clickhouse'))
  privateDir(path)
  const connection = createChdbConnection({ path })
  const client = createClient({ connection: connection as never, clickhouse_settings: SETTINGS })
  // The client's insert would turn the payload into one JS string and copy it again into the
  // engine, megabytes on the event loop per batch; the engine reads the batch's bytes from a file.
  const inMemory = async (insert: RawInsert) => {
    try {
      await connection.chdb.rawInsert({ ...insert, format: 'JSONCompactEachRow' })
    } catch (err) {
      // ClickHouse's numeric code and error name, as a server's error carries them.
      const mapped = parseError(err instanceof Error ? err : String(err))
      if (mapped !== err) mapped.cause = err
      throw mapped
    }
  }
  const insertRaw = fileInserter(client, resolve(join(storage.data_dir, 'inserts')), inMemory)
  // chDB defers tearing a connection down while any native call is still running. Exiting before
  // then leaves it to the engine's exit handler, where a SIGSEGV has been seen at exit in tests.
  const close = async () => {
    await client.close()
    await (await import('chdb')).drainPending()
  }
  return { client, database: storage.database, engine: 'chdb', cluster: '', path, insertRaw, close }
}
