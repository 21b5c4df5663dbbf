import OpenAI from 'openai'
import type { MockUpstream } from './mock-upstream.ts'

/**
 * A provider incident replayed through the real gateway in seconds: the gateway's clock is skewed
 * (POST /debug/faults) to each minute of a past quarter-hour in turn, and the mock fails a scripted
 * share of the primary's calls in some of them. The alias falls back from openai/gpt-4o to the
 * backup provider's gpt-4o-mini, with no retries and no cooldown, so every request tries the
 * primary exactly once and the counts below are exact.
 */
export const PRIMARY = { provider: 'openai', model: 'gpt-4o' }
export const BACKUP = { provider: 'backup', model: 'gpt-4o-mini' }
export const PER_MINUTE = 25
/** Minutes (from the start) in which 10 of the 25 primary calls fail: 40%. */
export const FAILING_MINUTES = [2, 3, 4, 5]
export const FAILURES_PER_MINUTE = 10
export const MINUTES = 10
/** In this minute one more request fails on both targets: the only request lost. */
export const LOST_MINUTE = 3

export const incidentConfig = (mock: MockUpstream) => ({
  providers: {
    openai: { base_url: `${mock.url}/v1` },
    backup: { type: 'openai-compatible', base_url: `${mock.url}/backup/v1` },
  },
  models: [
    {
      name: 'smart',
      retries: 0,
      cooldown: { failures: 100_000 },
      targets: [PRIMARY, BACKUP],
    },
  ],
})

export interface Replay {
  /** Start of the first replayed minute (epoch ms). */
  start: number
}

/** Replays the incident starting `minutesAgo` minutes before now; resets the skew when done. */
export async function replayIncident(
  gateway: { url: string; mock: MockUpstream },
  adminToken: string,
  minutesAgo = 20,
): Promise<Replay> {
  const start = Math.floor(Date.now() / 60_000 - minutesAgo) * 60_000
  const client = new OpenAI({ apiKey: 'sk-replay', baseURL: `${gateway.url}/v1`, maxRetries: 0 })
  const skew = (ms: number) =>
    fetch(`${gateway.url}/debug/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ clock_skew_ms: ms }),
    }).then((r) => {
      if (!r.ok) throw new Error(`clock skew refused: HTTP ${r.status}`)
    })
  const ask = () => client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] })
  try {
    for (let m = 0; m < MINUTES; m++) {
      await skew(start + m * 60_000 + 1_000 - Date.now())
      if (FAILING_MINUTES.includes(m))
        gateway.mock.fault({ model: PRIMARY.model, status: 500, times: FAILURES_PER_MINUTE })
      await Promise.all(Array.from({ length: PER_MINUTE }, ask))
      gateway.mock.clearFaults()
      if (m === LOST_MINUTE) {
        gateway.mock.fault({ model: PRIMARY.model, status: 500, times: 1 })
        gateway.mock.fault({ model: BACKUP.model, status: 503, times: 1 })
        await ask().catch(() => undefined)
        gateway.mock.clearFaults()
      }
    }
  } finally {
    await skew(0)
  }
  return { start }
}
