import { parseArgs } from 'node:util'
import { CostReportQuerySchema } from '@tracegate/schemas'
import { configPath, loadConfig, ConfigError } from '../config/load.ts'
import { openStore } from '../storage/client.ts'
import { costReport, reportCsv } from '../storage/report-queries.ts'
import { Quarantine, type QuarantinedSegment } from '../storage/quarantine.ts'
import { spoolDirOf } from '../storage/spool.ts'

const USAGE = `usage: tracegate report --from DATE --to DATE [--group-by team|key|workflow|model|provider] [--format csv|json]
       tracegate spool list [--format text|json]
       tracegate spool retry NAME... | --all
options of both: [--url http://127.0.0.1:4000] [--token ADMIN_TOKEN] [--config PATH]
Asks the running gateway; when none answers at --url, works on the data directory directly.`

const COMMON = {
  url: { type: 'string', default: process.env.TRACEGATE_URL ?? 'http://127.0.0.1:4000' },
  token: { type: 'string', default: process.env.TRACEGATE_ADMIN_TOKEN || undefined },
  config: { type: 'string' },
} as const

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`)
  process.exit(code)
}

/** The gateway's answer at `path`, or null when no gateway listens at `url`. */
async function fromGateway(url: string, token: string | undefined, path: string, post?: object): Promise<string | null> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {}
  if (post) headers['content-type'] = 'application/json'
  try {
    const res = await fetch(`${url.replace(/\/+$/, '')}${path}`, { method: post ? 'POST' : 'GET', headers, body: post ? JSON.stringify(post) : undefined })
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
    options: { from: { type: 'string' }, to: { type: 'string' }, 'group-by': { type: 'string', default: 'team' }, format: { type: 'string', default: 'csv' }, ...COMMON },
    strict: true,
  })
  const raw = { from: values.from, to: values.to, group_by: values['group-by'], format: values.format }
  const q = CostReportQuerySchema.safeParse(raw)
  if (!q.success) fail(`${q.error.issues.map((i) => `--${String(i.path[0] ?? '').replace('_', '-')}: ${i.message}`).join('\n')}\n${USAGE}`)
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

const localQuarantine = (config: string | undefined) => new Quarantine(spoolDirOf(loadConfig(config ?? configPath([], process.env)).storage.data_dir))

function printQuarantine(segments: QuarantinedSegment[], format: string): void {
  if (format === 'json') return void process.stdout.write(`${JSON.stringify(segments, null, 2)}\n`)
  const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim()
  const rows = segments.map((s) => [s.segment, String(s.spans), String(s.attempts), s.quarantined_at, oneLine(s.error_code ? `${s.error_code}: ${s.error}` : s.error)])
  process.stdout.write(`${[['segment', 'spans', 'attempts', 'quarantined_at', 'error'], ...rows].map((r) => r.join('\t')).join('\n')}\n`)
  if (!segments.length) process.stderr.write('no quarantined spool segments\n')
}

/** `spool list` and `spool retry`: segments ClickHouse rejected, set aside in <data dir>/spool/quarantine. */
async function spool(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv, options: { all: { type: 'boolean', default: false }, format: { type: 'string', default: 'text' }, ...COMMON }, allowPositionals: true, strict: true,
  })
  const [action, ...names] = positionals
  if (action === 'list' && !names.length && ['text', 'json'].includes(values.format)) {
    const text = await fromGateway(values.url, values.token, '/api/spool/quarantine')
    return printQuarantine(text !== null ? (JSON.parse(text) as { segments: QuarantinedSegment[] }).segments : localQuarantine(values.config).list(), values.format)
  }
  const oneOfAllOrNames = values.all !== names.length > 0
  if (action !== 'retry' || !oneOfAllOrNames) fail(USAGE)
  const text = await fromGateway(values.url, values.token, '/api/spool/quarantine/retry', values.all ? { all: true } : { segments: names })
  if (text !== null) {
    const { requeued } = JSON.parse(text) as { requeued: string[] }
    if (!requeued.length) process.stderr.write('no quarantined spool segments\n')
    return void process.stdout.write(requeued.map((n) => `re-queued ${n}\n`).join(''))
  }
  // No gateway running: move the files back; the next start replays them like any spool leftovers.
  const quarantine = localQuarantine(values.config)
  const known = quarantine.list().map((s) => s.segment)
  const wanted = values.all ? known : names
  const missing = wanted.filter((n) => !known.includes(n))
  if (missing.length) fail(`tracegate: no quarantined spool segment ${missing.join(', ')}`, 1)
  if (!wanted.length) process.stderr.write('no quarantined spool segments\n')
  for (const name of wanted) {
    quarantine.restore(name)
    process.stdout.write(`moved ${name} back to the spool: it is written at the next start\n`)
  }
}

const [command, ...rest] = process.argv.slice(2)
try {
  if (command === 'report') await report(rest)
  else if (command === 'spool') await spool(rest)
  else fail(USAGE, command ? 2 : 0)
} catch (err) {
  if (err instanceof ConfigError) fail(err.problems.map((p) => `config error: ${p}`).join('\n'))
  fail(`tracegate: ${(err as Error).message}`, 1)
}
