import { distributedTable, engine, localTable, onCluster, type Layout } from './layout.ts'

/**
 * The DDL of the small tables the admin side keeps (alert rules, events and deliveries; gateway
 * keys and teams), as migrations.ts applies them (v9, v11).
 */

/** A ReplacingMergeTree that keeps the row with the highest Version when parts merge, not the last inserted. */
function versioned(l: Layout, table: string): string {
  const plain = engine(l, 'ReplacingMergeTree', table)
  return l.cluster ? plain.replace(/\)$/, ', Version)') : `${plain}(Version)`
}

/**
 * v9: alerts. Rules made in the explorer (a new version per change, the newest wins; a deletion is
 * a version too), every state change of every rule (what a restart rebuilds the states from), and
 * every try to deliver a notification. Secrets and webhook URLs' paths are never stored.
 */
export const alertTables = (l: Layout) => [
  `CREATE TABLE IF NOT EXISTS ${localTable(l, 'alert_rules')}${onCluster(l)} (
  Id String,
  Version UInt64,
  Deleted Bool,
  Spec String CODEC(ZSTD(1)),
  UpdatedAt DateTime64(3)
) ENGINE = ${versioned(l, 'alert_rules')}
ORDER BY Id`,
  ...distributedTable(l, 'alert_rules', 'cityHash64(Id)'),
  `CREATE TABLE IF NOT EXISTS ${localTable(l, 'alert_events')}${onCluster(l)} (
  Time DateTime64(3),
  RuleId String,
  RuleName String,
  Metric LowCardinality(String),
  State LowCardinality(String),
  Value Nullable(Float64),
  Threshold Float64,
  Since DateTime64(3)
) ENGINE = ${engine(l, 'MergeTree', 'alert_events')}
ORDER BY (RuleId, Time)`,
  ...distributedTable(l, 'alert_events', 'cityHash64(RuleId)'),
  `CREATE TABLE IF NOT EXISTS ${localTable(l, 'alert_deliveries')}${onCluster(l)} (
  Time DateTime64(3),
  DeliveryId String,
  RuleId String,
  RuleName String,
  State LowCardinality(String),
  Webhook String,
  Target String,
  Attempt UInt16,
  HttpStatus UInt16,
  Ok Bool,
  Error String,
  DurationMs Float64
) ENGINE = ${engine(l, 'MergeTree', 'alert_deliveries')}
PARTITION BY toYYYYMM(Time)
ORDER BY (Time, DeliveryId)
TTL toDateTime(Time) + toIntervalDay(90)
SETTINGS ttl_only_drop_parts = 1`,
  ...distributedTable(l, 'alert_deliveries', 'cityHash64(DeliveryId)'),
]

/**
 * v11: gateway keys and teams made through the admin API, versioned like alert rules. A key's
 * secret is never stored: its SHA-256 is, inside Spec, with the last four characters to recognise it.
 */
export const accessTables = (l: Layout) =>
  ['api_keys', 'api_teams'].flatMap((table) => [
    `CREATE TABLE IF NOT EXISTS ${localTable(l, table)}${onCluster(l)} (
  Id String,
  Version UInt64,
  Deleted Bool,
  Spec String CODEC(ZSTD(1)),
  UpdatedAt DateTime64(3)
) ENGINE = ${versioned(l, table)}
ORDER BY Id`,
    ...distributedTable(l, table, 'cityHash64(Id)'),
  ])
