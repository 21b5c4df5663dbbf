import { describe, expect, it } from 'vitest'
import { parseConfig } from '../config/load.ts'
import { OK, step, type RuleState } from './state.ts'

const MIN = 60_000

/** Run a rule through breached/clear minutes; the events it makes, by minute. */
function run(breaches: boolean[], forMinutes: number): Array<[number, string, boolean]> {
  let s: RuleState = OK
  const events: Array<[number, string, boolean]> = []
  breaches.forEach((b, minute) => {
    const { next, event } = step(s, b, minute * MIN, forMinutes * MIN)
    if (event) events.push([minute, event.state, event.notify])
    s = next
  })
  return events
}

describe('the alert state machine', () => {
  it('pending, firing after for_minutes, resolved once; only firing and its resolution notify', () => {
    expect(run([true, true, true, true, false, false], 2)).toEqual([
      [0, 'pending', false],
      [2, 'firing', true],
      [4, 'resolved', true],
    ])
  })

  it('a pending rule that clears before for_minutes resolves without telling anyone', () => {
    expect(run([true, false, true, true], 3)).toEqual([
      [0, 'pending', false],
      [1, 'resolved', false],
      [2, 'pending', false],
    ])
  })

  it('for_minutes 0 fires at the first breach', () => {
    expect(run([false, true, true, false], 0)).toEqual([
      [1, 'firing', true],
      [3, 'resolved', true],
    ])
  })
})

describe('alerts config', () => {
  it('names each problem by path: a json webhook without a secret, a rule notifying an unknown webhook', () => {
    const parse = () =>
      parseConfig({
        alerts: {
          webhooks: [{ name: 'oncall', url: 'https://hooks.example.com/x' }],
          rules: [{ name: 'r', metric: 'error_rate', threshold: 0.1, notify: ['pager'] }],
        },
      })
    expect(parse).toThrow(
      'alerts.webhooks[0].secret: a json webhook needs a secret\nalerts.rules[0].notify[0]: unknown webhook "pager"',
    )
  })

  it('defaults: evaluated every 60 s by this gateway, no webhooks, no rules, no system notices', () => {
    expect(parseConfig({}).alerts).toEqual({
      evaluate: true,
      evaluate_every_s: 60,
      webhooks: [],
      rules: [],
      system_notify: [],
    })
  })

  it('system_notify must name configured webhooks', () => {
    expect(() => parseConfig({ alerts: { system_notify: ['nobody'] } })).toThrow(
      'alerts.system_notify[0]: unknown webhook "nobody"',
    )
  })
})
