import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import {
  AlertLogQuerySchema,
  AlertRuleIdSchema,
  AlertRuleSpecSchema,
  type AlertDeliveriesResponse,
  type AlertHistoryResponse,
  type AlertRule,
  type AlertRuleSpec,
  type AlertRulesResponse,
  type AlertStatesResponse,
} from '@tracegate/schemas'
import type { Alerts } from '../alerts/service.ts'
import { listDeliveries, listEvents } from '../alerts/history.ts'
import { MAX_STORED_RULES } from '../alerts/rules.ts'
import type { Store } from '../storage/client.ts'
import { GatewayError, invalidInput } from '../errors.ts'
import { adminGuard } from './admin-auth.ts'
import { fromStore } from './storage-errors.ts'

/** Routes that take no query parameters: naming one is a mistake worth a 400. */
const NoQuerySchema = z.object({}).strict()
function noQuery(req: FastifyRequest): void {
  const q = NoQuerySchema.safeParse(req.query)
  if (!q.success) throw invalidInput(q.error.issues, 'query')
}

/** A rule is a few hundred bytes; nothing bigger needs to reach the parser. */
const RULE_BODY_LIMIT = 16 * 1024

function ruleSpec(req: FastifyRequest): AlertRuleSpec {
  const body = req.body as { json?: unknown; jsonError?: string | null } | undefined
  if (body?.jsonError) throw new GatewayError('invalid_json', `request body is not valid JSON: ${body.jsonError}`)
  const spec = AlertRuleSpecSchema.safeParse(body?.json)
  if (!spec.success) throw invalidInput(spec.error.issues, 'body')
  return spec.data
}

function ruleId(req: FastifyRequest): string {
  const id = AlertRuleIdSchema.safeParse((req.params as { id: string }).id)
  if (!id.success)
    throw invalidInput(
      id.error.issues.map((i) => ({ ...i, path: ['id'] })),
      'path',
    )
  return id.data
}

/** What a rule may not be beyond its own schema: named like another, or telling a webhook that does not exist. */
function checkAgainst(alerts: Alerts, rules: AlertRule[], spec: AlertRuleSpec, id: string | null): void {
  if (rules.some((r) => r.name === spec.name && r.id !== id))
    throw new GatewayError('invalid_request', `name: a rule named "${spec.name}" exists already`, 'name')
  const hooks = new Set(alerts.config.webhooks.map((w) => w.name))
  spec.notify.forEach((n, i) => {
    if (!hooks.has(n))
      throw new GatewayError('invalid_request', `notify.${i}: no webhook "${n}" in alerts.webhooks`, `notify.${i}`)
  })
}

/** The API rule `id`, or a 404 / a 400 for a config rule (read-only here: change it in the config file). */
function editable(rules: AlertRule[], id: string): AlertRule {
  const rule = rules.find((r) => r.id === id)
  if (!rule) throw new GatewayError('not_found', `no alert rule ${id}`, 'id')
  if (rule.source === 'config')
    throw new GatewayError(
      'invalid_request',
      `id: rule "${rule.name}" comes from the config file and is read-only; change it there`,
      'id',
    )
  return rule
}

/** `/api/alerts/*`: rules (list, create, update, delete), current states, history and delivery log. */
export async function alertsApi(
  app: FastifyInstance,
  opts: { store: Store; alerts: Alerts; adminToken: string | undefined },
): Promise<void> {
  const { alerts, store } = opts
  app.addHook('onRequest', adminGuard(opts.adminToken))

  app.get('/api/alerts/rules', async (req): Promise<AlertRulesResponse> => {
    noQuery(req)
    const rules = await fromStore(req, alerts.rules.all())
    const webhooks = alerts.config.webhooks.map((w) => ({ name: w.name, format: w.format }))
    return { rules, webhooks, evaluate: alerts.config.evaluate, evaluate_every_s: alerts.config.evaluate_every_s }
  })

  app.post('/api/alerts/rules', { bodyLimit: RULE_BODY_LIMIT }, async (req, reply) => {
    const spec = ruleSpec(req)
    const rules = await fromStore(req, alerts.rules.all())
    checkAgainst(alerts, rules, spec, null)
    if (rules.filter((r) => r.source === 'api').length >= MAX_STORED_RULES)
      throw new GatewayError('invalid_request', `at most ${MAX_STORED_RULES} rules can be made through the API`)
    return reply.code(201).send(await fromStore(req, alerts.rules.create(spec)))
  })

  app.put('/api/alerts/rules/:id', { bodyLimit: RULE_BODY_LIMIT }, async (req) => {
    const id = ruleId(req)
    const spec = ruleSpec(req)
    const rules = await fromStore(req, alerts.rules.all())
    editable(rules, id)
    checkAgainst(alerts, rules, spec, id)
    return fromStore(req, alerts.rules.update(id, spec))
  })

  app.delete('/api/alerts/rules/:id', async (req) => {
    const id = ruleId(req)
    editable(await fromStore(req, alerts.rules.all()), id)
    await fromStore(req, alerts.rules.remove(id))
    return { id, deleted: true }
  })

  app.get('/api/alerts/states', async (req): Promise<AlertStatesResponse> => {
    noQuery(req)
    const rules = await fromStore(req, alerts.rules.all())
    return { states: await fromStore(req, alerts.states(rules)) }
  })

  app.get('/api/alerts/history', async (req): Promise<AlertHistoryResponse> => {
    const q = AlertLogQuerySchema.safeParse(req.query)
    if (!q.success) throw invalidInput(q.error.issues, 'query')
    return { events: await fromStore(req, listEvents(store, q.data)) }
  })

  app.get('/api/alerts/deliveries', async (req): Promise<AlertDeliveriesResponse> => {
    const q = AlertLogQuerySchema.safeParse(req.query)
    if (!q.success) throw invalidInput(q.error.issues, 'query')
    return { deliveries: await fromStore(req, listDeliveries(store, q.data)) }
  })
}
