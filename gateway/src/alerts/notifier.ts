import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { AlertNotification, AlertWebhook } from '@tracegate/schemas'
import type { Logger } from 'pino'
import { Agent, request } from 'undici'
import type { Store } from '../storage/client.ts'
import { recordDelivery } from './history.ts'
import { signature, slackBody } from './payload.ts'

/** Notifications waiting per webhook beyond which new ones are dropped (and logged): a dead receiver holds no unbounded memory. */
const MAX_QUEUED = 100

/** A receiver's answer body is read (and dropped) up to this much. */
const MAX_ANSWER_BYTES = 64 * 1024

interface TryResult {
  status: number
  error: string
}

/**
 * Sends notifications to webhooks off every other path: a queue per webhook (so a webhook hears
 * firing before resolved), retries with exponential backoff on network errors, 5xx and 429, and
 * one delivery-log row per try. A URL's path (a Slack webhook's secret) and the signing secret
 * appear in no log line and no row: only the webhook's name and its origin do.
 */
export class Notifier {
  private readonly chains = new Map<string, Promise<void>>()
  private readonly queued = new Map<string, number>()
  private readonly closing = new AbortController()
  private readonly agent = new Agent({ connections: 4 })

  constructor(
    private readonly webhooks: AlertWebhook[],
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  /** Queue `n` for each named webhook; returns at once. */
  send(names: string[], n: AlertNotification): void {
    for (const name of names) {
      const hook = this.webhooks.find((w) => w.name === name)
      if (!hook || this.closing.signal.aborted) continue
      const waiting = this.queued.get(name) ?? 0
      if (waiting >= MAX_QUEUED) {
        this.log.warn(
          { webhook: name, rule: n.rule.name, state: n.state },
          'alert webhook queue full; notification dropped',
        )
        continue
      }
      this.queued.set(name, waiting + 1)
      const next = (this.chains.get(name) ?? Promise.resolve())
        .then(() => this.deliver(hook, n))
        .catch((err: unknown) => this.log.warn({ webhook: name, err: String(err) }, 'alert delivery failed'))
        .finally(() => this.queued.set(name, (this.queued.get(name) ?? 1) - 1))
      this.chains.set(name, next)
    }
  }

  /** Stop: tries in flight and backoff waits end now, nothing new is sent. */
  async close(): Promise<void> {
    this.closing.abort()
    await Promise.allSettled(this.chains.values())
    await this.agent.close()
  }

  private async deliver(hook: AlertWebhook, n: AlertNotification): Promise<void> {
    const deliveryId = randomUUID()
    const body = JSON.stringify(hook.format === 'slack' ? slackBody(n) : n)
    for (let attempt = 1; attempt <= hook.max_attempts && !this.closing.signal.aborted; attempt++) {
      // Closing ends the wait at once; the loop then stops.
      if (attempt > 1)
        await sleep(hook.backoff_ms * 2 ** (attempt - 2), undefined, { signal: this.closing.signal }).catch(() => 0)
      const started = performance.now()
      const result = await this.try(hook, body)
      const ok = result.status >= 200 && result.status < 300
      await recordDelivery(this.store, {
        time: Date.now(),
        deliveryId,
        ruleId: n.rule.id,
        ruleName: n.rule.name,
        state: n.state,
        webhook: hook.name,
        target: new URL(hook.url).origin,
        attempt,
        httpStatus: result.status,
        ok,
        error: result.error,
        durationMs: performance.now() - started,
      }).catch((err: unknown) => this.log.warn({ err: String(err) }, 'alert delivery log not written'))
      if (ok || !retryable(result.status)) return
    }
  }

  /** One POST; status 0 when no answer came (network error, timeout). */
  private async try(hook: AlertWebhook, body: string): Promise<TryResult> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'tracegate-alerts' }
    // The receiver checks the time against its own clock: the real one, never a fault-injected skew.
    if (hook.secret) headers['x-tracegate-signature'] = signature(hook.secret, body, Math.floor(Date.now() / 1000))
    try {
      const res = await request(hook.url, {
        method: 'POST',
        headers,
        body,
        dispatcher: this.agent,
        signal: AbortSignal.any([this.closing.signal, AbortSignal.timeout(hook.timeout_ms)]),
      })
      await drain(res.body)
      const error = res.statusCode >= 300 ? `HTTP ${res.statusCode}` : ''
      return { status: res.statusCode, error }
    } catch (err) {
      return { status: 0, error: describe(err) }
    }
  }
}

const retryable = (status: number) => status === 0 || status === 429 || status >= 500

async function drain(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<void> {
  let read = 0
  for await (const chunk of body) {
    read += chunk.length
    if (read > MAX_ANSWER_BYTES) return body.destroy()
  }
}

/** The error's code and name only: undici's messages can carry the URL, whose path may be a secret. */
function describe(err: unknown): string {
  const e = err as { code?: string; name?: string }
  if (e?.name === 'TimeoutError' || e?.code === 'UND_ERR_HEADERS_TIMEOUT') return 'timeout'
  return e?.code ?? e?.name ?? 'error'
}
