import { CompareQuerySchema, CompareReportSchema, type CompareReport } from '@tracegate/schemas'
import { configPath, loadConfig } from '../config/load.ts'
import { openStore } from '../storage/client.ts'
import { compareReport } from '../reports/compare.ts'
import { COMMON, fromGateway } from './gateway-client.ts'
import { answerAs, badFlags, flags, given } from './usage.ts'
import { compareText } from './compare-table.ts'

export const COMPARE_USAGE = 'usage: tracegate compare --from DATE --to DATE [--workflow NAME] [--json]'

/** `compare`: shadow traffic beside its primary, from the running gateway or the data directory. */
export async function compare(argv: string[]): Promise<void> {
  const values = flags(
    argv,
    {
      from: { type: 'string' },
      to: { type: 'string' },
      workflow: { type: 'string' },
      json: { type: 'boolean' },
      ...COMMON,
    },
    COMPARE_USAGE,
  )
  const raw = given({ from: values.from, to: values.to, workflow: values.workflow })
  const q = CompareQuerySchema.safeParse(raw)
  if (!q.success) return badFlags(q.error, raw, COMPARE_USAGE)
  const text = await fromGateway(values.url, values.token, `/api/compare?${new URLSearchParams(raw)}`)
  let report: CompareReport
  if (text !== null) report = answerAs(CompareReportSchema, text, 'a compare report', values.url)
  else {
    const store = await openStore(loadConfig(values.config ?? configPath([], process.env)))
    try {
      report = await compareReport(store, q.data)
    } finally {
      await store.close()
    }
  }
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : compareText(report))
}
