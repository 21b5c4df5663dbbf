import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Helpers of the alerts tests: a webhook receiver, the admin API, minute-aligned span time. */

/** What a webhook receiver got, and whether its signature held. */
export interface Received {
  headers: IncomingHttpHeaders
  body: string
  json: Record<string, unknown>
  /** The HMAC matched and `t` was within five minutes of this machine's clock. */
  verified: boolean
  status: number
  /** Date.now() when it arrived. */
  at: number
}

/**
 * A webhook receiver on a loopback port, as a user would write one: it checks
 * `x-tracegate-signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">` with its secret and refuses
 * (401) what does not verify. `statuses` scripts its first answers (then 200).
 */
export class Receiver {
  readonly got: Received[] = []
  private server: Server | undefined

  constructor(
    private readonly secret: string | null,
    private readonly statuses: number[] = [],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/hooks/tracegate`
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
        const verified = this.verify(String(req.headers['x-tracegate-signature'] ?? ''), body)
        const status = this.secret && !verified ? 401 : (this.statuses[this.got.length] ?? 200)
        this.got.push({
          headers: req.headers,
          body,
          json: JSON.parse(body) as Record<string, unknown>,
          verified,
          status,
          at: Date.now(),
        })
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'no')
      })
    })
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r))
  }

  async close(): Promise<void> {
    await new Promise((r) => this.server?.close(r))
  }

  private verify(header: string, body: string): boolean {
    if (!this.secret) return false
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header)
    if (!m) return false
    if (Math.abs(Date.now() / 1000 - Number(m[1])) > 300) return false
    const expected = createHmac('sha256', this.secret).update(`${m[1]}.${body}`).digest()
    return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'))
  }
}

interface Gateway {
  url: string
}

/** The explorer API with the admin token: `get` parses JSON and fails on an error status; `send` returns the response. */
export function adminApi(env: Gateway, token: string) {
  const headers = { authorization: `Bearer ${token}` }
  return {
    get: async <T>(path: string): Promise<T> => {
      const res = await fetch(`${env.url}${path}`, { headers })
      if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${await res.text()}`)
      return (await res.json()) as T
    },
    send: (method: string, path: string, body?: unknown): Promise<Response> =>
      fetch(`${env.url}${path}`, {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
  }
}

/**
 * Span time in whole minutes: step `k` puts the gateway's clock 5 s into minute `base + k` (via
 * /debug/faults), so traffic sent in a step lands in that minute's rollup row whatever second the
 * test runs at, and the next step makes it a complete minute the evaluator reads.
 */
export class MinuteClock {
  /** Half an hour ago, on a minute boundary. */
  readonly base = Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000

  constructor(private readonly api: ReturnType<typeof adminApi>) {}

  minute(k: number): number {
    return this.base + k * 60_000
  }

  async step(k: number): Promise<void> {
    const res = await this.api.send('POST', '/debug/faults', { clock_skew_ms: this.minute(k) + 5_000 - Date.now() })
    if (res.status !== 200) throw new Error(`clock skew: HTTP ${res.status}`)
  }
}
