/**
 * The life of one rule: ok → pending (condition true) → firing (true for `for_minutes`) → resolved
 * (false again; the rule is ok). A pending that clears before it fires ends `resolved` too, without
 * a notification: only firing and resolving-from-firing tell anyone.
 */
export type RuleStatus = 'ok' | 'pending' | 'firing'

export interface RuleState {
  status: RuleStatus
  /** When the current pending/firing episode began (the first evaluation that found the condition true). */
  since: number | null
}

export interface Transition {
  state: 'pending' | 'firing' | 'resolved'
  since: number
  /** Firing, or resolving what had fired. */
  notify: boolean
}

export const OK: RuleState = { status: 'ok', since: null }

/** The next state after one evaluation, and the event it makes, if any. */
export function step(
  prev: RuleState,
  breached: boolean,
  nowMs: number,
  forMs: number,
): { next: RuleState; event: Transition | null } {
  if (!breached) {
    if (prev.status === 'ok') return { next: prev, event: null }
    return { next: OK, event: { state: 'resolved', since: prev.since ?? nowMs, notify: prev.status === 'firing' } }
  }
  if (prev.status === 'firing') return { next: prev, event: null }
  const since = prev.status === 'pending' && prev.since !== null ? prev.since : nowMs
  if (nowMs - since >= forMs)
    return { next: { status: 'firing', since }, event: { state: 'firing', since, notify: true } }
  if (prev.status === 'pending') return { next: prev, event: null }
  return { next: { status: 'pending', since }, event: { state: 'pending', since, notify: false } }
}
