import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Json } from '../gateway/src/wires/sse.ts'
import type { Fault, MockCall } from './mock-types.ts'
import { writeScripted } from './mock-replies.ts'
import { ROUTES, sleep } from './mock-wires.ts'

export type { Fault, MockCall, ScriptedReply } from './mock-types.ts'
export { chatReply } from './mock-replies.ts'

/**
 * A loopback stand-in for OpenAI and Anthropic that speaks their real wire formats (JSON and SSE,
 * usage included). Token counts are derived from each request and remembered, so tests compare
 * what the gateway recorded with what the upstream actually reported.
 *
 * Per-request behaviour via headers (which the gateway forwards): `x-mock-status: 500` answers
 * with that status and a provider-style error; `x-mock-chunk-delay-ms: N` waits between stream chunks.
 */
export interface MockUpstream {
  url: string
  calls: MockCall[]
  /** Most requests open at once, per first path segment (`/slow/v1/...` → `slow`). */
  maxConcurrent: Map<string, number>
  server: Server
  /** Script a failure; returns a function that removes it. */
  fault(f: Fault): () => void
  clearFaults(): void
  close(): Promise<void>
}

function fail(res: ServerResponse, status: number, anthropic: boolean, fault?: Fault) {
  res.writeHead(status, {
    'content-type': 'application/json',
    ...(fault?.retryAfter ? { 'retry-after': fault.retryAfter } : {}),
  })
  if (fault?.body) return res.end(JSON.stringify(fault.body))
  res.end(
    JSON.stringify(
      anthropic
        ? {
            type: 'error',
            error: { type: status === 429 ? 'rate_limit_error' : 'api_error', message: `mock failure ${status}` },
          }
        : {
            error: {
              message: `mock failure ${status}`,
              type: status === 429 ? 'rate_limit_exceeded' : 'server_error',
              param: null,
              code: null,
            },
          },
    ),
  )
}

/** `record: false` keeps no calls (benchmarks: a growing list would measure the mock's garbage collector). */
export async function startMockUpstream(opts: { record?: boolean } = {}): Promise<MockUpstream> {
  const record = opts.record ?? true
  const calls: MockCall[] = []
  let faults: Array<Fault & { left: number }> = []
  const takeFault = (path: string, model: unknown): Fault | null => {
    const f = faults.find(
      (x) =>
        x.left > 0 &&
        (x.model === undefined || x.model === model) &&
        (x.pathPrefix === undefined || path.startsWith(x.pathPrefix)),
    )
    if (!f) return null
    f.left--
    return f
  }
  const open = new Map<string, number>()
  const maxConcurrent = new Map<string, number>()
  const server = createServer((req, res) => {
    const segment = (req.url ?? '/').split('/')[1] ?? ''
    open.set(segment, (open.get(segment) ?? 0) + 1)
    maxConcurrent.set(segment, Math.max(maxConcurrent.get(segment) ?? 0, open.get(segment)!))
    res.on('close', () => open.set(segment, open.get(segment)! - 1))
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8')
      let json: Json
      try {
        json = body ? JSON.parse(body) : undefined
      } catch {
        json = undefined
      }
      const path = (req.url ?? '/').split('?')[0]!
      const fault = takeFault(path, json?.model)
      const call: MockCall = {
        method: req.method ?? 'GET',
        path,
        url: req.url ?? '/',
        headers: req.headers,
        body,
        json,
        usage: null,
        finishedAt: 0,
        abortedAt: 0,
        fault,
      }
      if (record) calls.push(call)
      res.on('finish', () => {
        call.finishedAt = Date.now()
      })
      res.on('close', () => {
        if (!res.writableFinished) call.abortedAt = Date.now()
      })
      if (fault?.delayHeadersMs) await sleep(fault.delayHeadersMs)
      if (res.destroyed) return
      if (fault?.reset) return void req.socket.destroy()
      if (fault?.reply) return writeScripted(res, fault.reply)
      const status = fault?.status ?? Number(req.headers['x-mock-status'] ?? 0)
      if (status) return fail(res, status, path.endsWith('/messages'), fault ?? undefined)
      const handler = ROUTES.find(([re]) => re.test(path))?.[1]
      if (!handler) return fail(res, 404, false)
      await handler(call, res, {
        chunks: Math.min(10_000, Number(req.headers['x-mock-chunks'] ?? 0) || 0),
        delay: fault?.chunkDelayMs ?? Number(req.headers['x-mock-chunk-delay-ms'] ?? 0),
        cutAfter: fault?.cutAfterChunks ?? 0,
        firstDelay: fault?.firstChunkDelayMs ?? 0,
        tokenDelay: fault?.tokenDelayMs ?? 0,
      })
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    maxConcurrent,
    server,
    fault: (f) => {
      const entry = { ...f, left: f.times ?? Number.POSITIVE_INFINITY }
      faults.push(entry)
      return () => {
        faults = faults.filter((x) => x !== entry)
      }
    },
    clearFaults: () => {
      faults = []
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
