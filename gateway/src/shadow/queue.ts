/**
 * At most `maxInFlight` tasks running and `maxQueued` waiting; a task offered beyond both is
 * refused, never held: shadow calls must not grow memory when a shadow target slows down.
 */
export class BoundedQueue {
  private running = 0
  private readonly waiting: Array<() => Promise<void>> = []
  private idlers: Array<() => void> = []
  dropped = 0

  constructor(
    private readonly maxInFlight: number,
    private readonly maxQueued: number,
  ) {}

  get inFlight(): number {
    return this.running
  }

  /** Run `task` now or later; false (and counted) when there is no room. */
  offer(task: () => Promise<void>): boolean {
    if (this.running < this.maxInFlight) {
      this.start(task)
      return true
    }
    if (this.waiting.length >= this.maxQueued) {
      this.dropped++
      return false
    }
    this.waiting.push(task)
    return true
  }

  /** Resolves once nothing runs or waits (shutdown waits for this, within its grace period). */
  idle(): Promise<void> {
    if (!this.running && !this.waiting.length) return Promise.resolve()
    return new Promise((resolve) => this.idlers.push(resolve))
  }

  /** Forget what has not started (shutdown): not counted in `dropped`, which means the queue was full. */
  discardWaiting(): number {
    const n = this.waiting.length
    this.waiting.length = 0
    return n
  }

  private start(task: () => Promise<void>): void {
    this.running++
    // Run in the next turn of the event loop: a shadow call's setup (its body, its headers) must
    // not delay the request that offered it, which goes out in this turn.
    setImmediate(() => {
      // A task's own failure is its business (it records it); the slot is freed whatever happens.
      task()
        .catch(() => undefined)
        .finally(() => {
          this.running--
          const next = this.waiting.shift()
          if (next) return this.start(next)
          if (this.running) return
          for (const resolve of this.idlers.splice(0)) resolve()
        })
    })
  }
}
