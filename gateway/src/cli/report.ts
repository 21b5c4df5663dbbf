import {
  BreakEvenQuerySchema,
  BreakEvenReportSchema,
  CostReportQuerySchema,
  type BreakEvenReport,
} from '@tracegate/schemas'
import { configPath, loadConfig } from '../config/load.ts'
import { openStore } from '../storage/client.ts'
import { costReport, reportCsv } from '../storage/report-queries.ts'
import { COMMON, fromGateway } from './gateway-client.ts'
import { answerAs, badFlags, flags, given, USAGE } from './usage.ts'
import { breakEven, breakEvenCsv } from '../reports/break-even.ts'

/** `report`: cost per group for a period, from the running gateway or the data directory. */
export async function report(argv: string[]): Promise<void> {
  if (argv[0] === 'break-even') return breakEvenReport(argv.slice(1))
  const values = flags(
    argv,
    {
      from: { type: 'string' },
      to: { type: 'string' },
      'group-by': { type: 'string', default: 'team' },
      format: { type: 'string', default: 'csv' },
      ...COMMON,
    },
    USAGE,
  )
  const raw = given({ from: values.from, to: values.to, group_by: values['group-by'], format: values.format })
  const q = CostReportQuerySchema.safeParse(raw)
  if (!q.success) return badFlags(q.error, raw, USAGE)
  const query = new URLSearchParams(raw)
  const text = await fromGateway(values.url, values.token, `/api/reports/cost?${query}`)
  if (text !== null) return void process.stdout.write(text)
  const config = loadConfig(values.config ?? configPath([], process.env))
  const store = await openStore(config)
  try {
    const r = await costReport(store, q.data)
    process.stdout.write(q.data.format === 'csv' ? reportCsv(r) : `${JSON.stringify(r, null, 2)}\n`)
  } finally {
    await store.close()
  }
}

/**
 * `report break-even --from --to [--fee-pct 5.5] [--infra-usd-month N] [--eng-hours-month N]
 * [--hourly-usd N] [--format text|json|csv]`: self-hosting against a managed gateway's fee.
 */
async function breakEvenReport(argv: string[]): Promise<void> {
  const values = flags(
    argv,
    {
      from: { type: 'string' },
      to: { type: 'string' },
      'fee-pct': { type: 'string' },
      'infra-usd-month': { type: 'string' },
      'eng-hours-month': { type: 'string' },
      'hourly-usd': { type: 'string' },
      format: { type: 'string', default: 'text' },
      ...COMMON,
    },
    BREAK_EVEN_USAGE,
  )
  const text = values.format === 'text'
  const raw = given({
    from: values.from,
    to: values.to,
    fee_pct: values['fee-pct'],
    infra_usd_month: values['infra-usd-month'],
    eng_hours_month: values['eng-hours-month'],
    hourly_usd: values['hourly-usd'],
    format: text ? 'json' : values.format,
  })
  const q = BreakEvenQuerySchema.safeParse(raw)
  if (!q.success) return badFlags(q.error, raw, BREAK_EVEN_USAGE)
  const fromApi = await fromGateway(values.url, values.token, `/api/reports/break-even?${new URLSearchParams(raw)}`)
  if (fromApi !== null && !text) return void process.stdout.write(fromApi.endsWith('\n') ? fromApi : `${fromApi}\n`)
  let r: BreakEvenReport
  if (fromApi !== null) r = answerAs(BreakEvenReportSchema, fromApi, 'a break-even report', values.url)
  else {
    const store = await openStore(loadConfig(values.config ?? configPath([], process.env)))
    try {
      r = await breakEven(store, q.data)
    } finally {
      await store.close()
    }
  }
  process.stdout.write(text ? `${r.summary}\n` : q.data.format === 'csv' ? breakEvenCsv(r) : `${JSON.stringify(r)}\n`)
}

export const BREAK_EVEN_USAGE = `usage: tracegate report break-even --from DATE --to DATE [--fee-pct 5.5] [--infra-usd-month 200]
       [--eng-hours-month 8] [--hourly-usd 120] [--format text|json|csv]`
