import { describe, expect, it } from 'vitest'
import type { AlertRule, AlertRulesResponse } from '@tracegate/schemas'
import { errorOf, useGateway } from './harness.ts'
import { adminApi } from './alerts-helpers.ts'

/**
 * The rules API: every input checked, bad ones a 400 naming the field; config rules read-only;
 * rules made here live in ClickHouse and survive a restart, and a deleted one stays deleted.
 */
const TOKEN = 'alerts-api-admin-token'
const env = useGateway(
  {
    alerts: {
      evaluate_every_s: 3600,
      webhooks: [{ name: 'oncall', url: 'http://127.0.0.1:9/hook', secret: 'whsec_api_0123456789abcdef' }],
      rules: [
        {
          name: 'team cost per day',
          metric: 'cost_usd',
          scope: { team: 'growth' },
          window_minutes: 1440,
          threshold: 50,
        },
      ],
    },
  },
  { adminToken: TOKEN },
)
const api = adminApi(env, TOKEN)
const valid = {
  name: 'openai p95',
  metric: 'latency_p95_ms',
  scope: { provider: 'openai', model: 'gpt-4o' },
  window_minutes: 10,
  threshold: 2500,
  for_minutes: 3,
  min_attempts: 20,
  notify: ['oncall'],
}
const rules = async () => (await api.get<AlertRulesResponse>('/api/alerts/rules')).rules

async function badRequest(method: string, path: string, body: unknown): Promise<{ param: unknown; message: string }> {
  const res = await api.send(method, path, body)
  expect(res.status).toBe(400)
  const e = await errorOf(res)
  expect([e.type, e.code]).toEqual(['invalid_request_error', 'invalid_request'])
  return { param: e.param, message: e.message }
}

describe('alert rules API', () => {
  it('needs the admin token', async () => {
    for (const path of ['/api/alerts/rules', '/api/alerts/states', '/api/alerts/history', '/api/alerts/deliveries'])
      expect((await fetch(`${env.url}${path}`)).status, path).toBe(401)
  })

  it('answers bad input with a 400 naming the field', async () => {
    const cases: Array<[object, string, string]> = [
      [{ ...valid, metric: 'p99' }, 'metric', 'metric: Invalid option'],
      [{ ...valid, threshold: -1 }, 'threshold', 'threshold: Too small'],
      [{ ...valid, window_minutes: 1441 }, 'window_minutes', 'window_minutes: Too big'],
      [{ ...valid, name: '' }, 'name', 'name: Too small'],
      [{ ...valid, name: 'x'.repeat(101) }, 'name', 'name: Too big'],
      [{ ...valid, scope: { region: 'eu' } }, 'scope.region', 'scope.region: unknown field'],
      [{ ...valid, colour: 'red' }, 'colour', 'colour: unknown field'],
      [{ ...valid, notify: ['pager'] }, 'notify.0', 'notify.0: no webhook "pager" in alerts.webhooks'],
      [{ ...valid, notify: Array(11).fill('oncall') }, 'notify', 'notify: Too big'],
      [{ ...valid, name: 'team cost per day' }, 'name', 'name: a rule named "team cost per day" exists already'],
    ]
    for (const [body, param, message] of cases) {
      const e = await badRequest('POST', '/api/alerts/rules', body)
      expect([e.param, e.message.startsWith(message)], message).toEqual([param, true])
    }
    expect((await badRequest('GET', '/api/alerts/history?limit=0', undefined)).param).toBe('limit')
    expect((await badRequest('GET', '/api/alerts/history?rule=a&rule=b', undefined)).param).toBe('rule')
    expect((await badRequest('GET', '/api/alerts/states?rule=a', undefined)).param).toBe('rule')
    expect((await badRequest('GET', '/api/alerts/deliveries?rule=x&extra=1', undefined)).param).toBe('extra')
    expect((await badRequest('DELETE', '/api/alerts/rules/DROP%20TABLE', undefined)).param).toBe('id')
    const notJson = await fetch(`${env.url}/api/alerts/rules`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' },
      body: JSON.stringify(valid),
    })
    expect(notJson.status).toBe(415)
    const e = await badRequest('POST', '/api/alerts/rules', undefined)
    expect([e.param, e.message]).toEqual([null, 'body: Invalid input: expected object, received undefined'])
    expect(await rules()).toHaveLength(1)
  })

  it('config rules are listed read-only and cannot be changed or deleted here', async () => {
    const [configRule] = await rules()
    expect(configRule).toMatchObject({
      name: 'team cost per day',
      metric: 'cost_usd',
      scope: { team: 'growth' },
      window_minutes: 1440,
      threshold: 50,
      for_minutes: 0,
      min_attempts: 0,
      notify: [],
      source: 'config',
      updated_at: null,
    })
    const put = await badRequest('PUT', `/api/alerts/rules/${configRule!.id}`, valid)
    expect(put).toEqual({
      param: 'id',
      message: 'id: rule "team cost per day" comes from the config file and is read-only; change it there',
    })
    expect((await badRequest('DELETE', `/api/alerts/rules/${configRule!.id}`, undefined)).param).toBe('id')
    expect((await api.send('DELETE', '/api/alerts/rules/a000000000000000', undefined)).status).toBe(404)
  })

  it('a rule made through the API is updated, survives a restart, and a deleted one stays deleted', async () => {
    const created = await api.send('POST', '/api/alerts/rules', valid)
    expect(created.status).toBe(201)
    const rule = (await created.json()) as AlertRule
    expect(rule).toMatchObject({ ...valid, source: 'api' })
    expect(rule.id).toMatch(/^a[0-9a-f]{15}$/)
    const other = (await (
      await api.send('POST', '/api/alerts/rules', { ...valid, name: 'lost any' })
    ).json()) as AlertRule

    const updated = await api.send('PUT', `/api/alerts/rules/${rule.id}`, { ...valid, threshold: 4000 })
    expect(updated.status).toBe(200)
    expect(((await updated.json()) as AlertRule).threshold).toBe(4000)
    expect((await api.send('DELETE', `/api/alerts/rules/${other.id}`, undefined)).status).toBe(200)

    await env.restart()
    const after = await rules()
    expect(after.map((r) => [r.name, r.source, r.threshold])).toEqual([
      ['team cost per day', 'config', 50],
      ['openai p95', 'api', 4000],
    ])
    expect(after[1]!.id).toBe(rule.id)
    const states = await api.get<{ states: Array<{ rule_id: string; state: string }> }>('/api/alerts/states')
    expect(states.states.map((s) => s.state)).toEqual(['ok', 'ok'])
  })
})
