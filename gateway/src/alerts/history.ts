import {
  AlertDeliverySchema,
  AlertEventSchema,
  type AlertDelivery,
  type AlertEvent,
  type AlertLogQuery,
} from '@tracegate/schemas'
import { z } from 'zod'
import type { Store } from '../storage/client.ts'
import { apiRow, column, queryRows, rowSchema } from '../storage/rows.ts'
import type { RuleState } from './state.ts'
import { chTime, isoFromCh, msFromCh } from '../storage/ch-time.ts'

/** Every state change of every rule (alert_events) and every try to deliver a notification (alert_deliveries). */

export interface EventRow {
  time: number
  ruleId: string
  ruleName: string
  metric: string
  state: 'pending' | 'firing' | 'resolved'
  value: number | null
  threshold: number
  since: number
}

export async function recordEvent(store: Store, e: EventRow): Promise<void> {
  await store.client.insert({
    table: `${store.database}.alert_events`,
    values: [
      {
        Time: chTime(e.time),
        RuleId: e.ruleId,
        RuleName: e.ruleName,
        Metric: e.metric,
        State: e.state,
        Value: e.value,
        Threshold: e.threshold,
        Since: chTime(e.since),
      },
    ],
    format: 'JSONEachRow',
  })
}

export interface DeliveryRow {
  time: number
  deliveryId: string
  ruleId: string
  ruleName: string
  state: string
  webhook: string
  target: string
  attempt: number
  httpStatus: number
  ok: boolean
  error: string
  durationMs: number
}

export async function recordDelivery(store: Store, d: DeliveryRow): Promise<void> {
  await store.client.insert({
    table: `${store.database}.alert_deliveries`,
    values: [
      {
        Time: chTime(d.time),
        DeliveryId: d.deliveryId,
        RuleId: d.ruleId,
        RuleName: d.ruleName,
        State: d.state,
        Webhook: d.webhook,
        Target: d.target,
        Attempt: d.attempt,
        HttpStatus: d.httpStatus,
        Ok: d.ok,
        Error: d.error.slice(0, 300),
        DurationMs: d.durationMs,
      },
    ],
    format: 'JSONEachRow',
  })
}

const ruleFilter = (q: AlertLogQuery) => (q.rule ? 'WHERE RuleId = {rule:String}' : '')
const logParams = (q: AlertLogQuery) => ({ limit: q.limit, ...(q.rule ? { rule: q.rule } : {}) })

const EVENT_ROWS = rowSchema(
  'alert history',
  apiRow(AlertEventSchema.extend({ time: column.dateTime })).transform((r): AlertEvent => ({
    ...r,
    time: isoFromCh(r.time),
  })),
)

/** Newest first. */
export async function listEvents(store: Store, q: AlertLogQuery): Promise<AlertEvent[]> {
  return queryRows(
    store.client,
    {
      query: `SELECT Time AS time, RuleId AS rule_id, RuleName AS rule_name, Metric AS metric, State AS state,
          Value AS value, Threshold AS threshold
        FROM ${store.database}.alert_events ${ruleFilter(q)}
        ORDER BY Time DESC, State DESC LIMIT {limit:UInt32}`,
      query_params: logParams(q),
    },
    EVENT_ROWS,
  )
}

const DELIVERY_ROWS = rowSchema(
  'alert deliveries',
  apiRow(AlertDeliverySchema.extend({ time: column.dateTime })).transform((r): AlertDelivery => ({
    ...r,
    time: isoFromCh(r.time),
  })),
)

/** Newest first; the tries of one delivery by attempt. */
export async function listDeliveries(store: Store, q: AlertLogQuery): Promise<AlertDelivery[]> {
  return queryRows(
    store.client,
    {
      query: `SELECT Time AS time, DeliveryId AS delivery_id, RuleId AS rule_id, RuleName AS rule_name, State AS state,
          Webhook AS webhook, Target AS target, Attempt AS attempt, HttpStatus AS http_status, Ok AS ok,
          Error AS error, DurationMs AS duration_ms
        FROM ${store.database}.alert_deliveries ${ruleFilter(q)}
        ORDER BY Time DESC, DeliveryId, Attempt DESC LIMIT {limit:UInt32}`,
      query_params: logParams(q),
    },
    DELIVERY_ROWS,
  )
}

const LAST_ROWS = rowSchema(
  'alert states',
  z.object({ rule_id: column.string, state: column.string, since: column.dateTime }),
)

/** Each rule's state as its last event left it: a restarted gateway neither re-fires nor forgets a firing rule. */
export async function lastStates(store: Store): Promise<Map<string, RuleState>> {
  const rows = await queryRows(
    store.client,
    {
      query: `SELECT RuleId AS rule_id, argMax(State, Time) AS state, argMax(Since, Time) AS since
        FROM ${store.database}.alert_events GROUP BY RuleId`,
    },
    LAST_ROWS,
  )
  const states = new Map<string, RuleState>()
  for (const r of rows)
    if (r.state === 'pending' || r.state === 'firing')
      states.set(r.rule_id, { status: r.state, since: msFromCh(r.since) })
  return states
}
