/**
 * Milliseconds on the monotonic clock, anchored at the wall-clock time the process started. Every
 * deadline, timeout, cooldown and duration uses it, so a wall-clock jump bends none of them.
 */
export const nowMs = () => performance.timeOrigin + performance.now()

let skewMs = 0

/**
 * The wall-clock time spans are stamped with and minute-based evaluation (incidents, alerts) runs
 * at. Only the fault-injection endpoint (TRACEGATE_FAULTS=1) moves it, so a test can replay
 * minutes of span time in seconds; durations stay on nowMs and are never skewed.
 */
export const wallNowMs = () => Date.now() + skewMs

/** Fault injection only: shift wallNowMs by this much from the real clock. */
export function setClockSkew(ms: number): void {
  skewMs = ms
}
