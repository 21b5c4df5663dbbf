import { ConfigError } from '../config/load.ts'
import { fail } from './gateway-client.ts'
import { USAGE } from './usage.ts'
import { BREAK_EVEN_USAGE, report } from './report.ts'
import { spool } from './spool.ts'
import { prices } from './prices.ts'
import { keys, KEYS_USAGE, teams } from './keys.ts'
import { importConfig, IMPORT_USAGE } from './import.ts'
import { check, CHECK_USAGE } from './check.ts'
import { compare, COMPARE_USAGE } from './compare.ts'

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  report,
  spool,
  prices,
  keys,
  teams,
  import: importConfig,
  check,
  compare,
}

const [command, ...rest] = process.argv.slice(2)
try {
  const run = command && Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined
  if (run) await run(rest)
  else
    fail(
      `${USAGE}\n${BREAK_EVEN_USAGE}\n${KEYS_USAGE}\n${IMPORT_USAGE}\n${CHECK_USAGE}\n${COMPARE_USAGE}`,
      command ? 2 : 0,
    )
} catch (err) {
  if (err instanceof ConfigError) fail(err.problems.map((p) => `config error: ${p}`).join('\n'))
  fail(`tracegate: ${(err as Error).message}`, 1)
}
