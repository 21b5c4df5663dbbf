/** What the LiteLLM importers share: the report's lines and the reading of LiteLLM's values. */

export type Verdict = 'mapped' | 'approximated' | 'unsupported'
export interface ReportLine {
  verdict: Verdict
  /** Where in the LiteLLM config, e.g. `model_list[2].litellm_params.rpm`. */
  path: string
  note: string
}
export type Say = (verdict: Verdict, path: string, note: string) => void

export type Json = Record<string, unknown>
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** LiteLLM's `os.environ/NAME` as tracegate's `${NAME}`; null for anything else. */
export const envRef = (v: unknown) =>
  typeof v === 'string' && v.startsWith('os.environ/') ? `\${${v.slice(11)}}` : null

const UNIT_MS: Record<string, number> = { s: 1e3, m: 60e3, h: 3_600e3, d: 86_400e3, w: 7 * 86_400e3, mo: 30 * 86_400e3 }

/** LiteLLM's durations ("30s", "1h", "30d", "1mo") in milliseconds; null when it is not one. */
export function durationMs(d: string): number | null {
  const m = /^(\d+)\s*(s|m|h|d|w|mo)$/.exec(d.trim())
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : null
}

const DAY_MS = UNIT_MS.d!

/** A LiteLLM budget duration as a calendar period, and whether that is exact ("30d" is about a month). */
export function budgetPeriod(d: string): ['day' | 'week' | 'month', boolean] {
  const trimmed = d.trim()
  if (['1d', '24h'].includes(trimmed)) return ['day', true]
  if (['7d', '1w'].includes(trimmed)) return ['week', true]
  if (trimmed === '1mo') return ['month', true]
  const ms = durationMs(trimmed)
  if (ms === null) return ['month', false]
  return [ms <= DAY_MS ? 'day' : ms <= 7 * DAY_MS ? 'week' : 'month', false]
}
