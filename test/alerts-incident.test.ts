import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AlertHistoryResponse, AlertStatesResponse, AlertDeliveriesResponse } from '@tracegate/schemas'
import { until, useGateway } from './harness.ts'
import { adminApi, MinuteClock, Receiver } from './alerts-helpers.ts'

/**
 * A simulated provider incident, replayed in minutes of span time: a provider fails every attempt
 * for three minutes, then recovers. The error-rate rule goes pending, fires once, survives a
 * gateway restart without firing again, and resolves once; a real receiver verifies each signed
 * notification.
 */
const TOKEN = 'alerts-incident-admin-token'
const SECRET = 'whsec_incident_0123456789abcdef'
const receiver = new Receiver(SECRET)
beforeAll(() => receiver.start())
afterAll(() => receiver.close())

const env = useGateway(
  (mock) => ({
    providers: { flaky: { type: 'openai-compatible', base_url: `${mock.url}/flaky/v1` } },
    alerts: {
      evaluate_every_s: 1,
      explorer_url: 'https://tracegate.example.com',
      webhooks: [{ name: 'oncall', url: receiver.url, secret: '${ONCALL_SECRET}', backoff_ms: 50 }],
      rules: [
        {
          name: 'flaky errors',
          metric: 'error_rate',
          scope: { provider: 'flaky' },
          window_minutes: 2,
          threshold: 0.5,
          for_minutes: 2,
          min_attempts: 3,
          notify: ['oncall'],
        },
      ],
    },
  }),
  { adminToken: TOKEN, faults: true, env: { ONCALL_SECRET: SECRET } },
)
const api = adminApi(env, TOKEN)
const clock = new MinuteClock(api)

const stateOf = async () => (await api.get<AlertStatesResponse>('/api/alerts/states')).states[0]!

/** Move span time to minute `k` and wait for an evaluation there. */
async function stepTo(k: number): Promise<AlertStatesResponse['states'][number]> {
  await clock.step(k)
  let s = await stateOf()
  await until(`an evaluation in minute ${k}`, async () => {
    s = await stateOf()
    const at = s.evaluated_at === null ? 0 : Date.parse(s.evaluated_at)
    return at >= clock.minute(k) && at < clock.minute(k + 1)
  })
  return s
}

/** Four chat completions to the flaky provider through the openai SDK; `failing`: each answered 503. */
async function traffic(failing: boolean): Promise<void> {
  const undo = failing ? env.mock.fault({ model: 'flaky-model', status: 503 }) : () => undefined
  const client = env.openai('sk-incident-byok')
  for (let i = 0; i < 4; i++) {
    const call = client.chat.completions.create({
      model: 'flaky/flaky-model',
      messages: [{ role: 'user', content: 'hi' }],
    })
    if (failing) await expect(call).rejects.toMatchObject({ status: 503 })
    else expect((await call).choices.length).toBe(1)
  }
  undo()
  await env.gw.flushSpans()
}

describe('a provider incident', () => {
  it('goes pending, fires once, survives a restart, resolves once: two signed notifications in order', async () => {
    await stepTo(0)
    await traffic(true)
    // Minute 0 is complete once the clock is in minute 1: 4 of 4 attempts failed, not yet for 2 minutes.
    expect((await stepTo(1)).state).toBe('pending')
    await traffic(true)
    const second = await stepTo(2)
    expect([second.state, second.value]).toEqual(['pending', 1])
    await traffic(true)
    const fired = await stepTo(3)
    expect([fired.state, fired.value, fired.since]).toEqual(['firing', 1, new Date(clock.minute(1)).toISOString()])
    await until('the firing notification', () => receiver.got.length === 1)

    // A restart rebuilds the state from history: still firing, and nobody is told again.
    await env.restart()
    expect((await stepTo(3)).state).toBe('firing')
    await traffic(false)
    // Minutes 2 and 3: 4 failed and 4 answered attempts, 0.5, which is not above the threshold.
    const resolved = await stepTo(4)
    expect([resolved.state, resolved.value]).toEqual(['ok', 0.5])
    await until('the resolved notification', () => receiver.got.length === 2)
    await traffic(false)
    expect((await stepTo(5)).value).toBe(0)
    await stepTo(6)

    expect(receiver.got.map((g) => [g.json.state, g.json.value, g.verified, g.status])).toEqual([
      ['firing', 1, true, 200],
      ['resolved', 0.5, true, 200],
    ])
    const ruleId = fired.rule_id
    expect(receiver.got[0]!.json).toEqual({
      type: 'tracegate.alert',
      rule: { id: ruleId, name: 'flaky errors' },
      metric: 'error_rate',
      scope: { provider: 'flaky' },
      state: 'firing',
      value: 1,
      threshold: 0.5,
      window_minutes: 2,
      since: new Date(clock.minute(1)).toISOString(),
      at: expect.stringMatching(new RegExp(`^${new Date(clock.minute(3)).toISOString().slice(0, 16)}`)),
      url: `https://tracegate.example.com/alerts?rule=${ruleId}`,
    })
    expect(receiver.got[0]!.headers['content-type']).toBe('application/json')

    const history = await api.get<AlertHistoryResponse>(`/api/alerts/history?rule=${ruleId}`)
    expect(history.events.map((e) => [e.state, e.value, e.threshold, e.rule_name])).toEqual([
      ['resolved', 0.5, 0.5, 'flaky errors'],
      ['firing', 1, 0.5, 'flaky errors'],
      ['pending', 1, 0.5, 'flaky errors'],
    ])
    const log = await api.get<AlertDeliveriesResponse>('/api/alerts/deliveries')
    expect(log.deliveries.map((d) => [d.state, d.webhook, d.attempt, d.http_status, d.ok])).toEqual([
      ['resolved', 'oncall', 1, 200, true],
      ['firing', 'oncall', 1, 200, true],
    ])
    expect(log.deliveries[0]!.target).toBe(new URL(receiver.url).origin)
    expect(env.gw.logs.join('').includes(SECRET)).toBe(false)
  }, 120_000)
})
