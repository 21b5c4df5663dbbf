/**
 * A recurring failure (a spool that cannot be written, spans dropped) is logged once per
 * interval, with how often it happened in between, instead of once per span.
 */
export class Throttle {
  private last = -Infinity
  private quiet = 0

  constructor(private readonly everyMs: number) {}

  /** How many occurrences went unlogged since the last line when this one should be logged, else null. */
  take(now = Date.now()): number | null {
    if (now - this.last < this.everyMs) {
      this.quiet++
      return null
    }
    const skipped = this.quiet
    this.quiet = 0
    this.last = now
    return skipped
  }
}
