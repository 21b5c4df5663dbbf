/**
 * Milliseconds on the monotonic clock, anchored at the wall-clock time the process started. Every
 * deadline, timeout, cooldown and duration uses it, so a wall-clock jump bends none of them.
 */
export const nowMs = () => performance.timeOrigin + performance.now()
