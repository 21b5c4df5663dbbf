/**
 * Where the span store's tables live. On one node (the embedded engine, a server) each table is
 * itself. On a cluster (`storage.cluster`) each is a Distributed table of the same name over
 * `<name>_local`, a replicated table on every shard, so queries and inserts name the same tables
 * in every mode and only DDL deals with the local ones. Every DDL statement on a cluster carries
 * ON CLUSTER, so one gateway's migration reaches every host.
 */
export interface Layout {
  database: string
  /** A `remote_servers` cluster name from the validated config; empty or absent on one node. */
  cluster?: string
}

export type MergeTreeFamily = 'MergeTree' | 'ReplacingMergeTree' | 'AggregatingMergeTree'

export const onCluster = (l: Layout) => (l.cluster ? ` ON CLUSTER ${l.cluster}` : '')

/** The table that stores the rows: the table itself on one node, each shard's local table on a cluster. */
export const localName = (l: Layout, table: string) => (l.cluster ? `${table}_local` : table)
export const localTable = (l: Layout, table: string) => `${l.database}.${localName(l, table)}`

/**
 * The engine clause of a stored table. On a cluster the Keeper path names the shard, database and
 * table, so the replicas of one shard share it and nothing else does.
 */
export function engine(l: Layout, family: MergeTreeFamily, table: string): string {
  if (!l.cluster) return family
  return `Replicated${family}('/clickhouse/tables/{shard}/${l.database}/${localName(l, table)}', '{replica}')`
}

/**
 * On a cluster, the Distributed table named `table` over every shard's local table; nothing on one
 * node. A sharding key makes it writable: rows with the same key always land on the same shard.
 */
export function distributedTable(l: Layout, table: string, shardingKey?: string): string[] {
  if (!l.cluster) return []
  const key = shardingKey ? `, ${shardingKey}` : ''
  return [
    `CREATE TABLE IF NOT EXISTS ${l.database}.${table}${onCluster(l)} AS ${localTable(l, table)}
ENGINE = Distributed(${l.cluster}, ${l.database}, ${localName(l, table)}${key})`,
  ]
}

/**
 * ALTER TABLE … ADD COLUMN on the stored table, then on a cluster the same columns on its
 * Distributed table, which reads only the columns it declares. `storedOnly` (a sorting key
 * change) applies to the stored table alone: a Distributed table has none.
 */
export function addColumns(l: Layout, table: string, columns: string[], storedOnly: string[] = []): string[] {
  const alter = (name: string, commands: string[]) =>
    `ALTER TABLE ${name}${onCluster(l)}${commands.length === 1 ? ` ${commands[0]}` : `\n  ${commands.join(',\n  ')}`}`
  const stored = alter(localTable(l, table), [...columns, ...storedOnly])
  return l.cluster ? [stored, alter(`${l.database}.${table}`, columns)] : [stored]
}
