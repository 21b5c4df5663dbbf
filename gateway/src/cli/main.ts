import { parseArgs } from 'node:util'
import { CostReportQuerySchema } from '@tracegate/schemas'
import { configPath, loadConfig, ConfigError } from '../config/load.ts'
import { openStore } from '../storage/client.ts'
import { costReport, reportCsv } from '../storage/report-queries.ts'

const USAGE = `usage: tracegate report --from DATE --to DATE [--group-by team|key|workflow|model|provider] [--format csv|json]
                        [--url http://127.0.0.1:4000] [--token ADMIN_TOKEN] [--config PATH]
Asks the running gateway; when none answers at --url, reads the data directory directly.`

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`)
  process.exit(code)
}

async function fromGateway(url: string, token: string | undefined, query: URLSearchParams): Promise<string | null> {
  try {
    const res = await fetch(`${url.replace(/\/+$/, '')}/api/reports/cost?${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} })
    const text = await res.text()
    if (!res.ok) fail(`tracegate: ${res.status} ${text.trim()}`, 1)
    return text
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') return null
    throw err
  }
}

async function report(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      from: { type: 'string' }, to: { type: 'string' }, 'group-by': { type: 'string', default: 'team' },
      format: { type: 'string', default: 'csv' }, url: { type: 'string', default: process.env.TRACEGATE_URL ?? 'http://127.0.0.1:4000' },
      token: { type: 'string', default: process.env.TRACEGATE_ADMIN_TOKEN }, config: { type: 'string' },
    },
    strict: true,
  })
  const raw = { from: values.from, to: values.to, group_by: values['group-by'], format: values.format }
  const q = CostReportQuerySchema.safeParse(raw)
  if (!q.success) fail(`${q.error.issues.map((i) => `--${String(i.path[0] ?? '').replace('_', '-')}: ${i.message}`).join('\n')}\n${USAGE}`)
  const text = await fromGateway(values.url!, values.token, new URLSearchParams(Object.entries(raw).filter((e): e is [string, string] => e[1] !== undefined)))
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

const [command, ...rest] = process.argv.slice(2)
try {
  if (command === 'report') await report(rest)
  else fail(USAGE, command ? 2 : 0)
} catch (err) {
  if (err instanceof ConfigError) fail(err.problems.map((p) => `config error: ${p}`).join('\n'))
  fail(`tracegate: ${(err as Error).message}`, 1)
}
