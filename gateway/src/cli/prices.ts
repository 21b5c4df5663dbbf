import { MissingPricesQuerySchema, MissingPricesResponseSchema, type MissingPricesResponse } from '@tracegate/schemas'
import { configPath, loadConfig } from '../config/load.ts'
import { openStore } from '../storage/client.ts'
import { missingPrices } from '../storage/price-queries.ts'
import { COMMON, fail, fromGateway } from './gateway-client.ts'
import { answerAs, flagsAndWords, USAGE } from './usage.ts'

/** A table of the unpriced models, then the config lines that would price them. */
function printMissing(r: MissingPricesResponse, format: string): void {
  if (format === 'json') return void process.stdout.write(`${JSON.stringify(r, null, 2)}\n`)
  if (!r.models.length) return void process.stderr.write('every model seen in this period has a price\n')
  const header = ['provider', 'model', 'requests', 'input_tokens', 'output_tokens', 'cache_read_tokens']
  const rows = r.models.map((m) =>
    [m.provider, m.model, m.requests, m.input_tokens, m.output_tokens, m.cache_read_tokens].map(String),
  )
  const hint = r.models.map(
    (m) => `  ${JSON.stringify(m.price_key)}: { input_mtok: 0, output_mtok: 0 }   # USD per million tokens`,
  )
  process.stdout.write(
    `${[header, ...rows].map((x) => x.join('\t')).join('\n')}\n\nTo price them, add to tracegate.yaml:\nprices:\n${hint.join('\n')}\n`,
  )
}

/** `prices missing`: models seen without a price in a period, with their token volumes. */
export async function prices(argv: string[]): Promise<void> {
  const { values, positionals } = flagsAndWords(
    argv,
    { from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string', default: 'text' }, ...COMMON },
    USAGE,
  )
  if (positionals.join(' ') !== 'missing' || !['text', 'json'].includes(values.format)) fail(USAGE)
  const raw = { from: values.from, to: values.to }
  const q = MissingPricesQuerySchema.safeParse(raw)
  if (!q.success)
    fail(`${q.error.issues.map((i) => `--${String(i.path[0] ?? '')}: ${i.message}`).join('\n')}\n${USAGE}`)
  const text = await fromGateway(
    values.url,
    values.token,
    `/api/prices/missing?${new URLSearchParams(raw as Record<string, string>)}`,
  )
  if (text !== null)
    return printMissing(answerAs(MissingPricesResponseSchema, text, 'unpriced models', values.url), values.format)
  const store = await openStore(loadConfig(values.config ?? configPath([], process.env)))
  try {
    printMissing(await missingPrices(store, q.data), values.format)
  } finally {
    await store.close()
  }
}
