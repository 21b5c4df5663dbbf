import { parseArgs } from 'node:util'
import { CompareQuerySchema, type CompareReport } from '@tracegate/schemas'
import { configPath, loadConfig } from '../config/load.ts'
import { openStore } from '../storage/client.ts'
import { compareReport } from '../reports/compare.ts'
import { COMMON, fail, fromGateway } from './gateway-client.ts'
import { compareText } from './compare-table.ts'

export const COMPARE_USAGE = 'usage: tracegate compare --from DATE --to DATE [--workflow NAME] [--json]'

/** `compare`: shadow traffic beside its primary, from the running gateway or the data directory. */
export async function compare(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      workflow: { type: 'string' },
      json: { type: 'boolean' },
      ...COMMON,
    },
    strict: true,
  })
  const raw = Object.fromEntries(
    Object.entries({ from: values.from, to: values.to, workflow: values.workflow }).filter(
      (e): e is [string, string] => e[1] !== undefined,
    ),
  )
  const q = CompareQuerySchema.safeParse(raw)
  if (!q.success)
    fail(`${q.error.issues.map((i) => `--${String(i.path[0] ?? '')}: ${i.message}`).join('\n')}\n${COMPARE_USAGE}`)
  const text = await fromGateway(values.url, values.token, `/api/compare?${new URLSearchParams(raw)}`)
  let report: CompareReport
  if (text !== null) report = JSON.parse(text) as CompareReport
  else {
    const store = await openStore(loadConfig(values.config ?? configPath([], process.env)))
    try {
      report = await compareReport(store, q.data)
    } finally {
      await store.client.close()
    }
  }
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : compareText(report))
}
