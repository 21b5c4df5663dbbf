import type { Config } from '@tracegate/schemas'
import type { Logger } from 'pino'
import type { PlanRun } from '../routing/run-plan.ts'
import type { Target } from '../routing/resolve.ts'
import { startAttempt, type AttemptObservation, type RequestObservation } from '../spans/observation.ts'
import type { Json } from '../wires/sse.ts'
import { asksJson } from '../wires/answer.ts'
import { newSpanId } from '../spans/ids.ts'
import { nowMs } from '../clock.ts'
import { BoundedQueue } from './queue.ts'
import { shadowTargets } from './sample.ts'
import { callShadow } from './call.ts'

export interface ShadowRecorder {
  recordShadow(o: RequestObservation, a: AttemptObservation): void
}

/** A shadow call's observation: the first and only attempt at its target. */
const shadowAttempt = (target: Target, path: string, index: number): AttemptObservation =>
  startAttempt(
    {
      spanId: newSpanId(),
      index: 1,
      adapter: target.adapter,
      model: target.model,
      path,
      targetIndex: index,
      resendCount: 0,
      isFallback: false,
      retryReason: '',
      backoffMs: 0,
    },
    nowMs(),
  )

/**
 * Shadow traffic: a sampled request of an alias with `shadow:` is also sent to the shadow targets,
 * beside its own plan and apart from the client's answer. Each call becomes one more span of the
 * request's trace once it is over; budgets, limits and cooldowns never see it.
 */
export class ShadowSender {
  readonly queue: BoundedQueue
  private readonly stop = new AbortController()

  constructor(
    settings: Config['shadow'],
    private readonly recorder: ShadowRecorder,
  ) {
    this.queue = new BoundedQueue(settings.max_in_flight, settings.max_queued)
  }

  /**
   * Let shadow calls in flight finish within the grace period; those still waiting to start are
   * not sent, and any still running after it are cut (recorded as cancelled), both said in the log.
   * Cutting them matters: the providers' connection pools close next, and wait for every request.
   */
  async close(graceMs: number, log: Logger): Promise<void> {
    const skipped = this.queue.discardWaiting()
    let timer: NodeJS.Timeout | undefined
    const over = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))
    await Promise.race([this.queue.idle(), over])
    clearTimeout(timer)
    const cut = this.queue.inFlight
    if (cut) {
      this.stop.abort()
      await this.queue.idle()
    }
    if (skipped || cut)
      log.warn({ skipped, cut }, 'shutdown: shadow calls waiting were not sent; those running were cut')
  }

  /**
   * Shadow this request if its alias asks and it is drawn; returns at once. A target the route
   * cannot send to (`fits`: a non-Anthropic one on /v1/messages) is skipped, and said so.
   */
  offer(run: PlanRun, request: Json, fits: (t: Target) => boolean = () => true): void {
    const targets = shadowTargets(run.plan.shadow, run.obs.attribution)
    if (!targets) return
    let queued = 0
    targets.forEach((target, i) => {
      if (!fits(target)) return this.note(run, 'shadow skipped: target does not speak this route', target)
      if (this.queue.offer(() => this.call(run, target, i))) queued++
      else this.note(run, 'shadow dropped: queue full', target)
    })
    // Sampled means compared: a request whose every call was skipped or dropped has no pair, and
    // its answers are not summarised. (Queued calls start in a later turn, so this comes first.)
    if (queued) run.obs.shadow = { asksJson: asksJson(request) }
  }

  private note(run: PlanRun, name: string, target: Target): void {
    run.obs.events.push({ timeMs: nowMs(), name, attributes: { 'tracegate.target': target.key } })
  }

  private async call(run: PlanRun, target: Target, index: number): Promise<void> {
    const upstream = run.upstream(target.adapter)
    const a = shadowAttempt(target, upstream.path, index)
    const body = run.body(target.model)
    try {
      await callShadow(
        {
          dispatcher: target.adapter.dispatcher,
          ...upstream,
          method: run.method,
          headers: run.headers(target.adapter, a.spanId, body ? body.length : null),
          body,
          stream: run.obs.stream,
          wire: run.wire,
          timeoutMs: run.plan.policy.timeout_ms,
          stop: this.stop.signal,
          captureAtLeast: run.captureHead,
        },
        a,
      )
    } finally {
      this.recorder.recordShadow(run.obs, a)
    }
  }
}
