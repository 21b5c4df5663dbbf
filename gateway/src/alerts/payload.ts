import { createHmac } from 'node:crypto'
import type { AlertNotification } from '@tracegate/schemas'

/**
 * `x-tracegate-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. The time is
 * signed with the body so a receiver can refuse a replayed notification (an old `t`).
 */
export function signature(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')
  return `t=${unixSeconds},v1=${mac}`
}

/** Slack's mrkdwn treats these three as control characters. */
const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

const scopeText = (n: AlertNotification) =>
  Object.entries(n.scope)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ') || 'all traffic'

const valueText = (v: number | null) => (v === null ? 'no data' : String(Number(v.toPrecision(6))))

/** One line a person reads first: what, where, how much. */
export function summary(n: AlertNotification): string {
  const verb = n.state === 'firing' ? 'FIRING' : 'RESOLVED'
  // A notice from the gateway itself has no window: it is about now.
  const window = n.window_minutes ? `, last ${n.window_minutes} min` : ''
  return `[${verb}] ${n.rule.name}: ${n.metric} ${valueText(n.value)} (threshold ${n.threshold}${window}) on ${scopeText(n)}`
}

/** A body Slack incoming webhooks take: `text` for notifications and clients without blocks, blocks for the message. */
export function slackBody(n: AlertNotification): object {
  return {
    text: slackEscape(summary(n)),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${slackEscape(summary(n))}*` } },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `since ${n.since} · <${n.url}|Open in tracegate>` }],
      },
    ],
  }
}
