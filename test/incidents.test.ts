import { beforeAll, describe, expect, it } from 'vitest'
import type { IncidentsResponse } from '@tracegate/schemas'
import { errorOf, useGateway } from './harness.ts'
import {
  FAILING_MINUTES,
  FAILURES_PER_MINUTE,
  MINUTES,
  PER_MINUTE,
  incidentConfig,
  replayIncident,
  type Replay,
} from './incident-replay.ts'

/**
 * GET /api/incidents after a replayed incident: the primary fails 40% of its attempts for four
 * minutes while the backup answers. Health is judged per attempt, so the primary is named and the
 * backup, which answered most of the failed requests, is not.
 */
const TOKEN = 'incidents-admin-token'
const env = useGateway(incidentConfig, { adminToken: TOKEN, faults: true })
let replay: Replay
const MIN = 60_000

async function incidents(from: number, to: number): Promise<IncidentsResponse> {
  const q = new URLSearchParams({ from: new Date(from).toISOString(), to: new Date(to).toISOString() })
  const res = await fetch(`${env.url}/api/incidents?${q}`, { headers: { authorization: `Bearer ${TOKEN}` } })
  if (!res.ok) throw new Error(`GET /api/incidents: HTTP ${res.status} ${await res.text()}`)
  return (await res.json()) as IncidentsResponse
}

beforeAll(async () => {
  replay = await replayIncident(env, TOKEN)
  await env.gw.flushSpans()
}, 60_000)

const requests = MINUTES * PER_MINUTE + 1
const failedPrimary = FAILING_MINUTES.length * FAILURES_PER_MINUTE + 1

describe('incidents, per attempt', () => {
  it('names the failing primary with its attempt error rate, since and recovered minutes; the backup is not blamed', async () => {
    const r = await incidents(replay.start, replay.start + 15 * MIN)
    expect(r.incidents.map((i) => [i.provider, i.model, i.status])).toEqual([['openai', 'gpt-4o', 'resolved']])
    const [inc] = r.incidents
    expect(inc!.since).toBe(new Date(replay.start + 2 * MIN).toISOString())
    expect(inc!.recovered_at).toBe(new Date(replay.start + 6 * MIN).toISOString())
    expect(inc!.attempts).toBe(4 * PER_MINUTE + 1)
    expect(inc!.errors).toBe(failedPrimary)
    expect(inc!.error_rate).toBeCloseTo(41 / 101, 6)
    expect(inc!.error_types).toEqual({ '5xx': failedPrimary })
    expect(inc!.requests).toEqual({
      first_try: 0,
      saved_by_retry: 0,
      saved_by_fallback: failedPrimary - 1,
      lost: 1,
      cancelled: 0,
    })
    expect(inc!.fallbacks).toBe(failedPrimary)
    expect(inc!.retries).toBe(0)
    expect(inc!.example_traces).toHaveLength(5)
    expect(inc!.minutes.map((m) => m.errors)).toEqual([10, 11, 10, 10])
    expect(inc!.affected.keys).toHaveLength(1)
    expect(inc!.affected.keys[0]!.errors).toBe(failedPrimary)
  })

  it('health is per attempt: the primary carries its failures, the backup only its own one', async () => {
    const r = await incidents(replay.start, replay.start + 15 * MIN)
    const health = Object.fromEntries(r.health.map((h) => [`${h.provider}/${h.model}`, [h.attempts, h.errors]]))
    expect(health).toEqual({ 'openai/gpt-4o': [requests, failedPrimary], 'backup/gpt-4o-mini': [failedPrimary, 1] })
    expect(r.health.find((h) => h.provider === 'backup')!.error_types).toEqual({ '5xx': 1 })
    // One caller key sent everything: its attempts are both targets', its failures both targets'.
    expect(r.key_health.map((k) => [k.attempts, k.errors])).toEqual([[requests + failedPrimary, failedPrimary + 1]])
    expect(r.key_health[0]!.key).toMatch(/^sha256:/)
    expect(r.key_health[0]!.p50_ms).toBeGreaterThan(0)
    expect(r.key_health[0]!.p95_ms).toBeGreaterThanOrEqual(r.key_health[0]!.p50_ms!)
  })

  it('counts each request by what became of it, in total and per bucket', async () => {
    const r = await incidents(replay.start, replay.start + 15 * MIN)
    expect(r.results).toEqual({
      first_try: requests - failedPrimary,
      saved_by_retry: 0,
      saved_by_fallback: failedPrimary - 1,
      lost: 1,
      cancelled: 0,
    })
    const minute3 = r.result_series.find((b) => b.time === new Date(replay.start + 3 * MIN).toISOString())
    expect([minute3?.first_try, minute3?.saved_by_fallback, minute3?.lost]).toEqual([15, 10, 1])
  })

  it('the trace list filters requests by what became of them', async () => {
    const list = async (result: string) => {
      const q = new URLSearchParams({
        from: new Date(replay.start).toISOString(),
        to: new Date(replay.start + 15 * MIN).toISOString(),
        limit: '500',
        result,
      })
      const res = await fetch(`${env.url}/api/traces?${q}`, { headers: { authorization: `Bearer ${TOKEN}` } })
      return ((await res.json()) as { traces: Array<{ attempts: number; status: string }> }).traces
    }
    const saved = await list('saved_by_fallback')
    expect([saved.length, new Set(saved.map((t) => t.attempts))]).toEqual([failedPrimary - 1, new Set([2])])
    const lost = await list('lost')
    expect(lost.map((t) => [t.attempts, t.status])).toEqual([[2, 'error']])
    expect(await list('first_try')).toHaveLength(requests - failedPrimary)
    const bad = await fetch(`${env.url}/api/traces?result=retried`, { headers: { authorization: `Bearer ${TOKEN}` } })
    expect(bad.status).toBe(400)
  })

  it('slices group by what became of the requests, from the rollup and from raw spans alike', async () => {
    const slice = async (group_by: string[]) => {
      const res = await env.post(
        '/api/query',
        {
          from: new Date(replay.start).toISOString(),
          to: new Date(replay.start + 15 * MIN).toISOString(),
          group_by,
          metrics: ['requests'],
        },
        { authorization: `Bearer ${TOKEN}` },
      )
      const body = (await res.json()) as { source: string; rows: Array<Record<string, string | number>> }
      return [body.source, Object.fromEntries(body.rows.map((r) => [r.result, r.requests]))]
    }
    const expected = { first_try: requests - failedPrimary, saved_by_fallback: failedPrimary - 1, lost: 1 }
    expect(await slice(['result'])).toEqual(['rollup', expected])
    expect(await slice(['result', 'user'])).toEqual(['spans', expected])
  })

  it('an incident that started before the range is still shown, as ongoing when the range ends inside it', async () => {
    const r = await incidents(replay.start + 3 * MIN, replay.start + 5 * MIN)
    expect(r.incidents.map((i) => [i.since, i.status])).toEqual([
      [new Date(replay.start + 2 * MIN).toISOString(), 'ongoing'],
    ])
  })

  it('a quiet range has no incident; a bad range is a 400 naming the field', async () => {
    expect((await incidents(replay.start + 11 * MIN, replay.start + 15 * MIN)).incidents).toEqual([])
    const res = await fetch(`${env.url}/api/incidents?from=2026-01-01&to=2026-02-01`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    })
    expect(res.status).toBe(400)
    expect((await errorOf(res)).message).toContain('7 days')
  })
})
