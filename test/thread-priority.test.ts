import { describe, expect, it } from 'vitest'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { getPriority } from 'node:os'
import { join } from 'node:path'
import { until, useSpawnedGateway } from './harness.ts'

// Each test writes the config it is about.
const env = useSpawnedGateway(null, { start: false })
/** The gateway inherits the test runner's priority (0 unless run under `nice`). */
const base = getPriority()

/** nice of every thread of a process, by thread id (field 19 of /proc/<pid>/task/<tid>/stat). */
function niceByThread(pid: number): Map<number, number> {
  const out = new Map<number, number>()
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')
      out.set(Number(tid), Number(fields[16]))
    } catch {
      // the thread ended while listed
    }
  }
  return out
}

async function gatewayWith(storage: string) {
  writeFileSync(
    join(env.dir, 'tracegate.yaml'),
    `providers:\n  openai: { base_url: "${env.mock.url}/v1" }\nstorage: { flush_ms: 100${storage} }\n`,
  )
  const run = env.spawn([])
  const url = await run.ready()
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-own' },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
  })
  expect(res.status).toBe(200)
  await until('the span is written', async () => {
    const ready = (await (await fetch(`${url}/readyz`)).json()) as { spans: { written: number } }
    return ready.spans.written === 2
  })
  return run
}

describe.runIf(process.platform === 'linux')('the event loop comes first on the CPU', () => {
  it("every thread but the event loop's (the engine's inserts and merges among them) runs at nice 10", async () => {
    const run = await gatewayWith('')
    const pid = run.child.pid!
    const niced = Math.max(10, base)
    await until('every other thread is niced', () => [...niceByThread(pid)].every(([t, n]) => t === pid || n === niced))
    const nice = niceByThread(pid)
    expect(nice.get(pid)).toBe(base)
    expect([...nice.values()].filter((n) => n === niced).length).toBeGreaterThan(10)
    run.child.kill('SIGTERM')
    expect(await run.exited).toBe(0)
  })

  it('storage.background_nice: 0 leaves every thread as it was', async () => {
    const run = await gatewayWith(', background_nice: 0')
    const nice = niceByThread(run.child.pid!)
    expect(nice.size).toBeGreaterThan(10)
    expect(nice.get(run.child.pid!)).toBe(base)
    // Only the engine's own choices remain (its memory sampler raises itself where it may).
    expect([...nice.values()].filter((n) => n > base)).toEqual([])
    run.child.kill('SIGTERM')
    expect(await run.exited).toBe(0)
  })
})
