import { parseArgs } from 'node:util'
import { CostReportQuerySchema } from '@tracegate/schemas'
import { configPath, loadConfig } from '../config/load.ts'
import { openStore } from '../storage/client.ts'
import { costReport, reportCsv } from '../storage/report-queries.ts'
import { COMMON, fail, fromGateway } from './gateway-client.ts'
import { USAGE } from './usage.ts'

/** `report`: cost per group for a period, from the running gateway or the data directory. */
export async function report(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      'group-by': { type: 'string', default: 'team' },
      format: { type: 'string', default: 'csv' },
      ...COMMON,
    },
    strict: true,
  })
  const raw = { from: values.from, to: values.to, group_by: values['group-by'], format: values.format }
  const q = CostReportQuerySchema.safeParse(raw)
  if (!q.success)
    fail(
      `${q.error.issues.map((i) => `--${String(i.path[0] ?? '').replace('_', '-')}: ${i.message}`).join('\n')}\n${USAGE}`,
    )
  const query = new URLSearchParams(Object.entries(raw).filter((e): e is [string, string] => e[1] !== undefined))
  const text = await fromGateway(values.url, values.token, `/api/reports/cost?${query}`)
  if (text !== null) return void process.stdout.write(text)
  const config = loadConfig(values.config ?? configPath([], process.env))
  const store = await openStore(config)
  try {
    const r = await costReport(store, q.data)
    process.stdout.write(q.data.format === 'csv' ? reportCsv(r) : `${JSON.stringify(r, null, 2)}\n`)
  } finally {
    await store.client.close()
  }
}
