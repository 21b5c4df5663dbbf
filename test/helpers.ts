import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { TraceResponse } from '@tracegate/schemas'
import { parseConfig } from '../gateway/src/config/load.ts'
import { createLogger } from '../gateway/src/log.ts'
import { startGateway, type Gateway } from '../gateway/src/app.ts'

export interface TestGateway extends Gateway {
  /** Every log line the gateway wrote. */
  logs: string[]
  dataDir: string
  stop(): Promise<void>
}

/**
 * The real gateway, in this process, on an ephemeral loopback port, with the embedded engine in a
 * fresh temporary directory (chDB binds one directory per process, so one gateway per test file).
 */
export async function startTestGateway(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv = {},
  dataDir = mkdtempSync(join(tmpdir(), 'tracegate-test-')),
): Promise<TestGateway> {
  const config = parseConfig(
    {
      server: { host: '127.0.0.1', port: 0 },
      log_level: 'debug',
      ...raw,
      storage: { data_dir: dataDir, flush_ms: 50, ...(raw.storage as object | undefined) },
    },
    env,
  )
  const logs: string[] = []
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk))
      cb()
    },
  })
  const gw = await startGateway(config, {
    log: createLogger(config.log_level, sink),
    adminToken: env.TRACEGATE_ADMIN_TOKEN,
  })
  return {
    ...gw,
    logs,
    dataDir,
    stop: async () => {
      await gw.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Poll the explorer API until the trace has `spans` spans (writes are batched, off the request path). */
export async function waitForTrace(
  baseUrl: string,
  traceId: string,
  spans = 2,
  timeoutMs = 10_000,
  adminToken?: string,
): Promise<TraceResponse> {
  const until = Date.now() + timeoutMs
  let last = ''
  while (Date.now() < until) {
    const res = await fetch(
      `${baseUrl}/api/traces/${traceId}`,
      adminToken ? { headers: { authorization: `Bearer ${adminToken}` } } : {},
    )
    if (res.ok) {
      const body = (await res.json()) as TraceResponse
      if (body.spans.length >= spans) return body
      last = `${body.spans.length} spans`
    } else last = `HTTP ${res.status}`
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`trace ${traceId} did not reach ${spans} spans in ${timeoutMs} ms (last: ${last})`)
}

export const serverSpan = (t: TraceResponse) => {
  const s = t.spans.find((x) => x.kind === 'server')
  if (!s) throw new Error('no server span')
  return s
}

export const clientSpans = (t: TraceResponse) => t.spans.filter((x) => x.kind === 'client')
