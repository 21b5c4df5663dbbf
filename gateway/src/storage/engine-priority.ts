import { readdirSync, readlinkSync } from 'node:fs'
import { setPriority } from 'node:os'

const RESCAN_MS = 5_000

/**
 * Run every thread of this process but the caller's (the event loop) at a lower CPU priority:
 * the embedded engine's inserts and merges, V8's helpers, libuv's pool. On a small machine they
 * otherwise take the core the event loop needs in bursts of several milliseconds, which clients
 * see as latency; niced, they use what the request path leaves. Threads inherit their creator's
 * priority, and a rescan catches any started from elsewhere. Linux only (threads are tasks in
 * /proc); anywhere else, or with nice 0, nothing happens. Returns a function that stops the rescans.
 */
export function yieldToEventLoop(nice: number): () => void {
  if (process.platform !== 'linux' || nice <= 0) return () => undefined
  const self = readlinkSync('/proc/thread-self').split('/').at(-1)
  const apply = () => {
    for (const tid of readdirSync('/proc/self/task')) {
      if (tid === self) continue
      try {
        setPriority(Number(tid), nice)
      } catch {
        // The thread ended between the listing and now.
      }
    }
  }
  apply()
  const timer = setInterval(apply, RESCAN_MS).unref()
  return () => clearInterval(timer)
}
