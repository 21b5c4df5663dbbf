import { readdirSync } from 'node:fs'
import { getPriority, setPriority } from 'node:os'
import { isMainThread } from 'node:worker_threads'

const RESCAN_MS = 5_000

/**
 * Run every thread of this process but the event loop's at a lower CPU priority: the embedded
 * engine's inserts and merges, V8's helpers, libuv's pool. On a small machine they otherwise take
 * the core the event loop needs in bursts of several milliseconds, which clients see as latency;
 * niced, they use what the request path leaves. Threads inherit their creator's priority, and a
 * rescan catches any started from elsewhere. Only ever lowers a priority, never raises one; the
 * threads stay niced after close. Linux only (threads are tasks in /proc), and only from the main
 * thread (whose task id is the pid): anywhere else, or with nice 0, nothing happens. Returns a
 * function that stops the rescans.
 */
export function yieldToEventLoop(nice: number): () => void {
  if (process.platform !== 'linux' || nice <= 0 || !isMainThread) return () => undefined
  const self = String(process.pid)
  const apply = () => {
    let tasks: string[]
    try {
      tasks = readdirSync('/proc/self/task')
    } catch {
      return // no /proc here (a restricted container): an optimisation, not a requirement
    }
    for (const tid of tasks) {
      if (tid === self) continue
      try {
        if (getPriority(Number(tid)) < nice) setPriority(Number(tid), nice)
      } catch {
        // The thread ended between the listing and now, or the system refuses: it keeps its priority.
      }
    }
  }
  apply()
  const timer = setInterval(apply, RESCAN_MS).unref()
  return () => clearInterval(timer)
}
