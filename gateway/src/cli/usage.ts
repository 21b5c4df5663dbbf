import { parseArgs, type ParseArgsConfig } from 'node:util'
import type { z } from 'zod'
import { fail } from './gateway-client.ts'

export const USAGE = `usage: tracegate report --from DATE --to DATE [--group-by team|key|workflow|model|provider] [--format csv|json]
       tracegate spool list [--format text|json]
       tracegate spool retry NAME... | --all
       tracegate prices missing --from DATE --to DATE [--format text|json]
options of all: [--url http://127.0.0.1:4000] [--token ADMIN_TOKEN] [--config PATH]
Asks the running gateway; when none answers at --url, works on the data directory directly.`

/** A command's flags; an unknown or malformed one fails with the command's usage (exit 2), not a stack. */
export function flags<const O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: O,
  usage: string,
) {
  try {
    return parseArgs({ args: argv, options, strict: true }).values
  } catch (err) {
    return fail(`tracegate: ${(err as Error).message}\n${usage}`)
  }
}

/**
 * flags(), for commands that also take words (`prices missing`, `spool retry NAME…`). Kept apart:
 * with words allowed, Node's message for an unknown flag adds a hint about `--` that would only
 * mislead on a command that takes none.
 */
export function flagsAndWords<const O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: O,
  usage: string,
) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true })
  } catch (err) {
    return fail(`tracegate: ${(err as Error).message}\n${usage}`)
  }
}

/**
 * Each problem of a query built from flags, under the flag that set it (`fee_pct` is --fee-pct),
 * then the usage (exit 2). A flag left out is "required", not zod's "expected string, received undefined".
 */
export function badFlags(error: z.ZodError, given: Record<string, unknown>, usage: string): never {
  const lines = error.issues.map((i) => {
    const field = String(i.path[0] ?? '')
    return `--${field.replaceAll('_', '-')}: ${given[field] === undefined ? 'required' : i.message}`
  })
  return fail(`${lines.join('\n')}\n${usage}`)
}

/** The gateway's answer read as `schema` says, or a clear failure when something else answered. */
export function answerAs<S extends z.ZodType>(schema: S, text: string, what: string, url: string): z.output<S> {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  const parsed = schema.safeParse(body)
  if (!parsed.success)
    fail(`tracegate: ${url} answered something other than ${what}: ${text.slice(0, 80).replace(/\s+/g, ' ')}`, 1)
  return parsed.data
}

/** The flags that were given, as a query's parameters: a flag left out is no parameter at all. */
export const given = (flags: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(flags).filter((e): e is [string, string] => e[1] !== undefined))
