import type { FastifyInstance, FastifyReply } from 'fastify'
import type { SpanRow } from '../storage/span-row.ts'
import type { RowSink } from '../spans/recorder.ts'
import { summaryFromRow } from '../storage/trace-queries.ts'
import { adminGuard } from './admin-auth.ts'

const HEARTBEAT_MS = 15_000
/** A subscriber that reads slower than this many buffered bytes is dropped, not waited for. */
const MAX_BUFFERED = 1 << 20

/**
 * Live tail: request summaries pushed as server-sent events the moment their rows are built,
 * before ClickHouse has them. Costs nothing while nobody watches. Each gateway process tails
 * its own traffic; behind a load balancer the explorer shows the instance it reached.
 */
export class LiveTail implements RowSink {
  private readonly subscribers = new Set<FastifyReply>()

  add(rows: SpanRow[]): void {
    if (!this.subscribers.size) return
    let payload = ''
    for (const r of rows) if (r.SpanKind === 'Server') payload += `data: ${JSON.stringify(summaryFromRow(r))}\n\n`
    if (payload) for (const s of this.subscribers) this.send(s, payload)
  }

  /** Start an event stream on a hijacked reply; it ends when the client goes or close() is called. */
  subscribe(reply: FastifyReply): void {
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    })
    reply.raw.write(': tailing\n\n')
    // Idle proxies drop silent connections; a comment line every so often keeps this one open.
    const beat = setInterval(() => reply.raw.write(': heartbeat\n\n'), HEARTBEAT_MS)
    this.subscribers.add(reply)
    reply.raw.on('close', () => {
      clearInterval(beat)
      this.subscribers.delete(reply)
    })
  }

  /** End every tail so shutdown does not wait for watchers. */
  close(): void {
    for (const s of this.subscribers) s.raw.end()
    this.subscribers.clear()
  }

  private send(reply: FastifyReply, payload: string): void {
    if (reply.raw.writableLength > MAX_BUFFERED) {
      this.subscribers.delete(reply)
      reply.raw.destroy()
      return
    }
    reply.raw.write(payload)
  }
}

export async function tailApi(
  app: FastifyInstance,
  opts: { tail: LiveTail; adminToken: string | undefined },
): Promise<void> {
  app.addHook('onRequest', adminGuard(opts.adminToken))
  app.get('/api/tail', (_req, reply) => {
    reply.hijack()
    opts.tail.subscribe(reply)
  })
}
