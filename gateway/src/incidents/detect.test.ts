import { describe, expect, it } from 'vitest'
import { IncidentSettingsSchema } from '@tracegate/schemas'
import { detectIncidents, type MinuteStat } from './detect.ts'

const s = IncidentSettingsSchema.parse({})
const T0 = Date.UTC(2026, 11, 1, 14, 0)
/** Minutes from T0 with these (attempts, errors). */
const series = (...m: Array<[number, number]>): MinuteStat[] =>
  m.map(([attempts, errors], i) => ({ minute: T0 + i * 60_000, attempts, errors }))
const at = (i: number) => T0 + i * 60_000

describe('incident detection', () => {
  it('starts at the first minute of a sustained crossing and recovers after three good minutes', () => {
    const found = detectIncidents(
      series([100, 1], [100, 2], [100, 40], [100, 45], [100, 38], [100, 2], [100, 1], [100, 0], [100, 1]),
      s,
    )
    expect(found).toEqual([{ since: at(2), recoveredAt: at(5), baseline: 0.015 }])
  })

  it('one error in a quiet minute is not an incident, nor is a single bad minute', () => {
    expect(detectIncidents(series([100, 0], [3, 1], [100, 0], [100, 50], [100, 0], [100, 0]), s)).toEqual([])
  })

  it('two bad minutes within three, with a good one between, start it at the first', () => {
    const found = detectIncidents(series([50, 0], [50, 20], [50, 1], [50, 25], [50, 30]), s)
    expect(found.map((f) => [f.since, f.recoveredAt])).toEqual([[at(1), null]])
  })

  it('far above its own baseline counts even under the absolute threshold', () => {
    const quiet = Array.from({ length: 30 }, () => [200, 1] as [number, number])
    const found = detectIncidents(series(...quiet, [200, 30], [200, 32], [200, 1], [200, 1], [200, 1]), s)
    expect(found).toEqual([{ since: at(30), recoveredAt: at(32), baseline: 0.005 }])
  })

  it('the baseline forgets minutes older than baseline_minutes', () => {
    const noisy = Array.from({ length: 60 }, () => [100, 4] as [number, number])
    const clean = Array.from({ length: 60 }, () => [100, 0] as [number, number])
    // 6% is five times a clean hour's baseline, but not the noisy hour's 4% had it lingered.
    const found = detectIncidents(series(...noisy, ...clean, [100, 6], [100, 6], [100, 0], [100, 0], [100, 0]), s)
    expect(found).toEqual([{ since: at(120), recoveredAt: at(122), baseline: 0 }])
  })

  it('minutes without traffic neither end an incident nor count toward recovery', () => {
    const found = detectIncidents(
      [
        ...series([100, 50], [100, 60]),
        { minute: at(10), attempts: 100, errors: 0 },
        { minute: at(20), attempts: 100, errors: 0 },
      ],
      s,
    )
    expect(found.map((f) => [f.since, f.recoveredAt])).toEqual([[at(0), null]])
  })
})
