import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AlertDeliveriesResponse } from '@tracegate/schemas'
import { until, useGateway } from './harness.ts'
import { adminApi, MinuteClock, Receiver } from './alerts-helpers.ts'

/**
 * Delivery: a receiver that answers 500 twice gets a third try that succeeds, each try signed and
 * in the delivery log; a Slack-format webhook gets a body Slack takes; an unreachable one is tried
 * max_attempts times. Secrets and URL paths appear in no log line and no log row.
 */
const TOKEN = 'alerts-webhooks-admin-token'
const SECRET = 'whsec_webhooks_0123456789abcdef'
const flaky = new Receiver(SECRET, [500, 500])
const slack = new Receiver(null)
beforeAll(() => Promise.all([flaky.start(), slack.start()]))
afterAll(() => Promise.all([flaky.close(), slack.close()]))

const env = useGateway(
  (mock) => ({
    providers: { openai: { base_url: `${mock.url}/v1` } },
    alerts: {
      evaluate_every_s: 1,
      webhooks: [
        { name: 'flaky-receiver', url: flaky.url, secret: SECRET, backoff_ms: 50 },
        { name: 'slack', url: `${slack.url}/T000/B000/slack-path-secret`, format: 'slack' },
        { name: 'down', url: 'http://127.0.0.1:1/hook', secret: SECRET, max_attempts: 2, backoff_ms: 10 },
      ],
      rules: [
        {
          name: 'lost requests',
          metric: 'requests_lost',
          scope: { team: 'R&D <core>' },
          window_minutes: 5,
          threshold: 0,
          notify: ['flaky-receiver', 'slack', 'down'],
        },
      ],
    },
  }),
  { adminToken: TOKEN, faults: true },
)
const api = adminApi(env, TOKEN)
const clock = new MinuteClock(api)
const deliveries = async (webhook: string) =>
  (await api.get<AlertDeliveriesResponse>('/api/alerts/deliveries')).deliveries
    .filter((d) => d.webhook === webhook)
    .sort((a, b) => a.attempt - b.attempt)

beforeAll(async () => {
  await clock.step(0)
  env.mock.fault({ model: 'gpt-4o', status: 500, times: 2 })
  const client = env.openai('sk-webhooks-byok')
  for (let i = 0; i < 2; i++)
    await expect(
      client.chat.completions.create(
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-tracegate-team': 'R&D <core>' } },
      ),
    ).rejects.toMatchObject({ status: 500 })
  await env.gw.flushSpans()
  // Minute 0, with two lost requests, is complete: the rule fires.
  await clock.step(1)
  await until('three tries at the flaky receiver', () => flaky.got.length === 3)
  await until('the slack notification', () => slack.got.length === 1)
  await until('two tries of the unreachable webhook', async () => (await deliveries('down')).length === 2)
}, 60_000)

describe('webhook delivery', () => {
  it('a receiver that answers 500 twice gets three signed tries, with backoff, all in the delivery log', async () => {
    expect(flaky.got.map((g) => [g.status, g.verified, g.json.state, g.json.value])).toEqual([
      [500, true, 'firing', 2],
      [500, true, 'firing', 2],
      [200, true, 'firing', 2],
    ])
    // backoff_ms 50, doubled before the third try.
    expect(flaky.got[1]!.at - flaky.got[0]!.at).toBeGreaterThanOrEqual(45)
    expect(flaky.got[2]!.at - flaky.got[1]!.at).toBeGreaterThanOrEqual(95)
    const log = await deliveries('flaky-receiver')
    expect(log.map((d) => [d.attempt, d.http_status, d.ok, d.error, d.state, d.rule_name])).toEqual([
      [1, 500, false, 'HTTP 500', 'firing', 'lost requests'],
      [2, 500, false, 'HTTP 500', 'firing', 'lost requests'],
      [3, 200, true, '', 'firing', 'lost requests'],
    ])
    expect(new Set(log.map((d) => d.delivery_id)).size).toBe(1)
  })

  it('a slack webhook gets {text, blocks} with Slack escaping, unsigned, and its URL path is stored nowhere', async () => {
    const got = slack.got[0]!
    const text = '[FIRING] lost requests: requests_lost 2 (threshold 0, last 5 min) on team=R&amp;D &lt;core&gt;'
    expect(got.json.text).toBe(text)
    expect(got.json.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: `*${text}*` } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: expect.stringMatching(
              /^since \d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z · <http:\/\/127\.0\.0\.1:\d+\/alerts\?rule=c[0-9a-f]{15}\|Open in tracegate>$/,
            ),
          },
        ],
      },
    ])
    expect(got.headers['x-tracegate-signature']).toBeUndefined()
    expect(got.status).toBe(200)
    const [row] = await deliveries('slack')
    expect([row!.target, row!.http_status, row!.ok]).toEqual([new URL(slack.url).origin, 200, true])
    const stored = await env.gw.store.client.query({
      query: `SELECT count() AS n FROM ${env.gw.store.database}.alert_deliveries
        WHERE positionCaseInsensitive(concat(Target, Error, Webhook), 'slack-path-secret') > 0
          OR positionCaseInsensitive(concat(Target, Error), {secret:String}) > 0`,
      query_params: { secret: SECRET },
      format: 'JSONEachRow',
    })
    expect(await stored.json()).toEqual([{ n: 0 }])
    const logs = env.gw.logs.join('')
    expect([logs.includes(SECRET), logs.includes('slack-path-secret')]).toEqual([false, false])
  })

  it('an unreachable webhook is tried max_attempts times, each a network error in the log', async () => {
    const log = await deliveries('down')
    expect(log.map((d) => [d.attempt, d.http_status, d.ok, d.error, d.target])).toEqual([
      [1, 0, false, 'ECONNREFUSED', 'http://127.0.0.1:1'],
      [2, 0, false, 'ECONNREFUSED', 'http://127.0.0.1:1'],
    ])
  })
})
