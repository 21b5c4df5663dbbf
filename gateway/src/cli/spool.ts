import { QuarantineListSchema, QuarantineRetrySchema } from '@tracegate/schemas'
import { configPath, loadConfig } from '../config/load.ts'
import { Quarantine, type QuarantinedSegment } from '../storage/quarantine.ts'
import { spoolDirOf } from '../storage/spool.ts'
import { COMMON, fail, fromGateway } from './gateway-client.ts'
import { answerAs, flagsAndWords, USAGE } from './usage.ts'

const localQuarantine = (config: string | undefined) =>
  new Quarantine(spoolDirOf(loadConfig(config ?? configPath([], process.env)).storage.data_dir))

function printQuarantine(segments: QuarantinedSegment[], format: string): void {
  if (format === 'json') return void process.stdout.write(`${JSON.stringify(segments, null, 2)}\n`)
  const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim()
  const rows = segments.map((s) => [
    s.segment,
    String(s.spans),
    String(s.attempts),
    s.quarantined_at,
    oneLine(s.error_code ? `${s.error_code}: ${s.error}` : s.error),
  ])
  process.stdout.write(
    `${[['segment', 'spans', 'attempts', 'quarantined_at', 'error'], ...rows].map((r) => r.join('\t')).join('\n')}\n`,
  )
  if (!segments.length) process.stderr.write('no quarantined spool segments\n')
}

/** `spool list` and `spool retry`: segments ClickHouse rejected, set aside in <data dir>/spool/quarantine. */
export async function spool(argv: string[]): Promise<void> {
  const { values, positionals } = flagsAndWords(
    argv,
    { all: { type: 'boolean', default: false }, format: { type: 'string', default: 'text' }, ...COMMON },
    USAGE,
  )
  const [action, ...names] = positionals
  if (action === 'list' && !names.length && ['text', 'json'].includes(values.format)) {
    const text = await fromGateway(values.url, values.token, '/api/spool/quarantine')
    return printQuarantine(
      text !== null
        ? answerAs(QuarantineListSchema, text, 'the spool quarantine', values.url).segments
        : localQuarantine(values.config).list(),
      values.format,
    )
  }
  const oneOfAllOrNames = values.all !== names.length > 0
  if (action !== 'retry' || !oneOfAllOrNames) fail(USAGE)
  const text = await fromGateway(
    values.url,
    values.token,
    '/api/spool/quarantine/retry',
    values.all ? { all: true } : { segments: names },
  )
  if (text !== null) {
    const { requeued } = answerAs(QuarantineRetrySchema, text, 'the re-queued segments', values.url)
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
