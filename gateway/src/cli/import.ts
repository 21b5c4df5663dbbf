import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { parse as parseYaml, stringify as toYaml } from 'yaml'
import { ConfigError, parseConfig } from '../config/load.ts'
import { fail } from './gateway-client.ts'
import { LiteLlmImport, type ReportLine } from '../litellm/config-import.ts'

export const IMPORT_USAGE = `usage: tracegate import litellm CONFIG.yaml [-o tracegate.yaml]
Converts a LiteLLM proxy config; prints every setting as mapped, approximated or unsupported.`

/** The variables a converted config names, as placeholders: validation checks its shape, not the secrets. */
function placeholders(config: object): NodeJS.ProcessEnv {
  const names = [...JSON.stringify(config).matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!)
  return Object.fromEntries(names.map((n) => [n, `placeholder-for-${n}`]))
}

const line = (r: ReportLine) => `${r.verdict.padEnd(12)} ${r.path}: ${r.note}`

/** `tracegate import litellm FILE [-o OUT]`: the converted YAML to OUT (or stdout), the report to stderr. */
export async function importConfig(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { output: { type: 'string', short: 'o' } },
    allowPositionals: true,
    strict: false,
  })
  const [from, file] = positionals
  if (from !== 'litellm' || !file) return fail(IMPORT_USAGE, 2)
  let source: unknown
  try {
    source = parseYaml(readFileSync(file, 'utf8'))
  } catch (err) {
    return fail(`tracegate: cannot read ${file}: ${(err as Error).message}`, 2)
  }
  if (typeof source !== 'object' || source === null || Array.isArray(source))
    return fail(`tracegate: ${file} is not a LiteLLM config (a YAML mapping)`, 2)
  const run = new LiteLlmImport(source as Record<string, unknown>)
  const config = run.convert()
  process.stderr.write(`${run.report.map(line).join('\n')}\n`)
  const counts = ['mapped', 'approximated', 'unsupported'].map(
    (v) => `${run.report.filter((r) => r.verdict === v).length} ${v}`,
  )
  process.stderr.write(`${counts.join(', ')}\n`)
  try {
    parseConfig(config, placeholders(config))
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.problems.map((p) => `converted config invalid: ${p}`).join('\n'), 1)
    throw err
  }
  const yaml = `# converted from ${file} by tracegate import litellm\n${toYaml(config)}`
  if (typeof values.output === 'string') writeFileSync(values.output, yaml)
  else process.stdout.write(yaml)
}
