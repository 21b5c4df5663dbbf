import { createInterface } from 'node:readline/promises'
import { z } from 'zod'
import { CheckFactsSchema, CompareReportSchema, type CheckFacts } from '@tracegate/schemas'
import { loadConfig } from '../config/load.ts'
import { COMMON, fail } from './gateway-client.ts'
import { badFlags, flags } from './usage.ts'
import { staticRows, type CheckRow } from '../checklist/rows.ts'
import { SHADOW_WEEK_MS, shadowRows } from '../checklist/shadow-rows.ts'
import { probeChat, probeEmbeddings, type LiveContext } from '../checklist/live.ts'
import { judgeFault, sendFaults } from '../checklist/fallback.ts'
import { estimateText, faultProbed, livePlan, summary, textReport } from '../checklist/report.ts'
import { CHAT_PROBES } from '../checklist/probe-requests.ts'

export const CHECK_USAGE = `usage: tracegate check [--live] [--yes] [--gateway URL] [--config PATH] [--json] [--token ADMIN_TOKEN] [--key KEY]
Walks the migration checklist against the running gateway (docs/check.md). --live sends real
requests through it (they cost money: an estimate first, then a question, or --yes).
--key (or TRACEGATE_KEY) is the caller key live requests are sent with.`

const OptionsSchema = z.object({
  live: z.boolean(),
  yes: z.boolean(),
  json: z.boolean(),
  gateway: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
  token: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
})
type Options = z.infer<typeof OptionsSchema>

/** The gateway's address: --gateway, else TRACEGATE_URL, else the config file's server.host and port. */
function gatewayUrl(flag: string | undefined, configPath: string | undefined): string {
  if (flag) return flag
  if (process.env.TRACEGATE_URL) return process.env.TRACEGATE_URL
  if (!configPath) return 'http://127.0.0.1:4000'
  const { host, port } = loadConfig(configPath).server
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  return `http://${h}:${port}`
}

function options(argv: string[]): Options {
  const values = flags(
    argv,
    {
      live: { type: 'boolean', default: false },
      yes: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      gateway: { type: 'string' },
      config: COMMON.config,
      token: COMMON.token,
      key: { type: 'string', default: process.env.TRACEGATE_KEY || undefined },
    },
    CHECK_USAGE,
  )
  const given = { ...values, gateway: gatewayUrl(values.gateway, values.config) }
  const parsed = OptionsSchema.safeParse(given)
  if (!parsed.success) return badFlags(parsed.error, given, CHECK_USAGE)
  return { ...parsed.data, gateway: parsed.data.gateway.replace(/\/+$/, '') }
}

async function facts(o: Options): Promise<CheckFacts> {
  let res: Response
  try {
    res = await fetch(`${o.gateway}/api/check`, { headers: o.token ? { authorization: `Bearer ${o.token}` } : {} })
  } catch (err) {
    return fail(
      `tracegate: no gateway answers at ${o.gateway} (${(err as { cause?: Error }).cause?.message ?? err})`,
      1,
    )
  }
  const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null
  if (!res.ok) return fail(`tracegate: ${res.status} ${body?.error?.message ?? res.statusText}`, 1)
  const parsed = CheckFactsSchema.safeParse(body)
  if (!parsed.success) return fail(`tracegate: ${o.gateway}/api/check answered something other than a checklist`, 1)
  return parsed.data
}

/** --live spends money: say how much at most, then ask on a terminal; elsewhere only --yes goes ahead. */
async function confirmed(o: Options, f: CheckFacts): Promise<void> {
  process.stderr.write(`${estimateText(livePlan(f), f, o.gateway)}\n`)
  if (o.yes) return
  if (!process.stdin.isTTY)
    fail(
      'tracegate: --live spends money and there is no terminal to ask on: nothing was sent; add --yes to go ahead',
      2,
    )
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  const answer = await rl.question('Send them? [y/N] ')
  rl.close()
  if (!/^y(es)?$/i.test(answer.trim())) fail('tracegate: not confirmed: nothing was sent', 2)
}

/** Every live probe, one request at a time (no burst on anyone's rate limit); fallback traces are read last. */
async function liveRows(ctx: LiveContext, f: CheckFacts): Promise<CheckRow[]> {
  const rows: CheckRow[] = []
  const pending = []
  for (const a of f.aliases) {
    if (a.embedding) rows.push(await probeEmbeddings(ctx, a))
    else for (const kind of CHAT_PROBES) rows.push(await probeChat(ctx, a, kind))
    if (faultProbed(a, f)) pending.push(...(await sendFaults(ctx, a)))
  }
  if (!f.fault_injection)
    rows.push({
      step: 5,
      check: 'fallback-live',
      subject: '-',
      status: 'fail',
      detail: 'not exercised: the gateway has no TRACEGATE_ADMIN_TOKEN, which fault injection needs',
    })
  if (!f.aliases.some((a) => a.embedding))
    rows.push({
      step: 3,
      check: 'embeddings',
      subject: '-',
      status: 'skip',
      detail: 'no alias targets an embedding model (a model name with "embed" in it)',
    })
  return [...rows, ...(await Promise.all(pending.map((p) => judgeFault(ctx, p))))]
}

/** The last week's shadow traffic, when the gateway answers it (older gateways, or no token: the generic row stays). */
async function lastWeeksShadow(o: Options): Promise<CheckRow[] | null> {
  const to = new Date()
  const from = new Date(to.getTime() - SHADOW_WEEK_MS)
  const query = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() })
  const res = await fetch(`${o.gateway}/api/compare?${query}`, {
    headers: o.token ? { authorization: `Bearer ${o.token}` } : {},
  }).catch(() => null)
  const parsed = CompareReportSchema.safeParse(res?.ok ? await res.json().catch(() => null) : null)
  return parsed.success ? shadowRows(parsed.data) : null
}

/** Live rows take the place of the `skip` rows that stand for them. */
function merge(base: CheckRow[], live: CheckRow[]): CheckRow[] {
  const kept = base.filter((r) => !(r.status === 'skip' && (r.check === 'features' || r.check === 'fallback-live')))
  return [...kept, ...live].sort((a, b) => a.step - b.step)
}

/** `tracegate check [--live] [--yes] [--gateway URL] [--config PATH] [--json]`: exit 1 when a row fails. */
export async function check(argv: string[]): Promise<void> {
  const o = options(argv)
  const f = await facts(o)
  let rows = staticRows(f)
  const shadow = await lastWeeksShadow(o)
  if (shadow) rows = [...rows.filter((r) => r.check !== 'shadow-traffic'), ...shadow].sort((a, b) => a.step - b.step)
  if (o.live) {
    await confirmed(o, f)
    rows = merge(rows, await liveRows({ gateway: o.gateway, key: o.key, adminToken: o.token }, f))
  }
  const out = o.json
    ? `${JSON.stringify({ gateway: o.gateway, live: o.live, rows, summary: summary(rows) }, null, 2)}\n`
    : textReport(rows, o.gateway)
  process.stdout.write(out)
  process.exitCode = rows.some((r) => r.status === 'fail') ? 1 : 0
}
