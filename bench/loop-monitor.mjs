// Loaded into the gateway by `npm run bench` (node --import): the main thread's event-loop delay,
// sampled every millisecond, and V8's garbage-collection pauses by kind (scavenges of the young
// generation, and the rest: mark-compact and its incremental steps). SIGUSR2 writes what was seen
// since the last signal to $BENCH_LOOP_FILE and starts over, so the bench reads one load run.
import { writeFileSync } from 'node:fs'
import { PerformanceObserver, constants, monitorEventLoopDelay } from 'node:perf_hooks'

const delay = monitorEventLoopDelay({ resolution: 1 })
delay.enable()
const fresh = () => ({ count: 0, totalMs: 0, maxMs: 0, minor: { count: 0, maxMs: 0 }, other: { count: 0, maxMs: 0 } })
let gc = fresh()
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.count++
    gc.totalMs += e.duration
    gc.maxMs = Math.max(gc.maxMs, e.duration)
    const kind = e.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR ? gc.minor : gc.other
    kind.count++
    kind.maxMs = Math.max(kind.maxMs, e.duration)
  }
}).observe({ entryTypes: ['gc'] })

process.on('SIGUSR2', () => {
  if (!process.env.BENCH_LOOP_FILE) return
  const ms = (ns) => ns / 1e6
  const loop = { max: ms(delay.max), p99: ms(delay.percentile(99)), mean: ms(delay.mean) }
  writeFileSync(process.env.BENCH_LOOP_FILE, JSON.stringify({ ...loop, gc }))
  delay.reset()
  gc = fresh()
})
