import type { CheckAlias, CheckFacts, CheckLimit } from '@tracegate/schemas'

/** `manual`: the tool cannot tell; the detail says what to do. Never counted as a pass. */
export type RowStatus = 'pass' | 'fail' | 'manual' | 'skip'

export interface CheckRow {
  /** The migration checklist's step (docs/check.md), 1 to 8. */
  step: number
  check: string
  subject: string
  status: RowStatus
  detail: string
  trace_id?: string
  trace_url?: string
}

/** The checklist from the LiteLLM migration guide, in its order. */
export const STEPS: Record<number, string> = {
  1: 'List all models',
  2: 'Map each model to a route',
  3: 'Test chat, streaming, JSON mode, tools and embeddings separately',
  4: 'Recreate budgets and team limits',
  5: 'Fall back on 429, 5xx and timeout',
  6: 'Compare cost per workflow, not only token price',
  7: 'Run shadow traffic for one week',
  8: 'Keep a rollback path',
}

export const row = (step: number, check: string, subject: string, status: RowStatus, detail: string): CheckRow => ({
  step,
  check,
  subject,
  status,
  detail,
})

function modelRows(facts: CheckFacts): CheckRow[] {
  if (!facts.providers.length) return [row(1, 'models', '-', 'fail', 'no provider is configured or used by an alias')]
  return facts.providers.map((p) =>
    p.listed
      ? row(1, 'models', p.name, 'pass', `${p.models} model${p.models === 1 ? '' : 's'} listed by GET /models`)
      : row(1, 'models', p.name, 'fail', `could not list: ${p.error}`),
  )
}

function routeRows(a: CheckAlias, listed: Map<string, string | null>): CheckRow[] {
  const targets = a.targets.map((t) => `${t.provider}/${t.model}`).join(', ')
  const rows = [
    row(
      2,
      'route',
      a.name,
      'pass',
      `${a.strategy} to ${targets}, ${a.retries} ${a.retries === 1 ? 'retry' : 'retries'} per target`,
    ),
  ]
  for (const t of a.targets) {
    const subject = `${a.name} -> ${t.provider}/${t.model}`
    if (t.offered) rows.push(row(2, 'model', subject, 'pass', `offered by ${t.provider}`))
    else if (t.offered === false)
      rows.push(row(2, 'model', subject, 'fail', `model not offered: ${t.provider} does not list ${t.model}`))
    else rows.push(row(2, 'model', subject, 'fail', `could not list: ${listed.get(t.provider) ?? 'unknown'}`))
  }
  return rows
}

const covers = (on: CheckAlias['fallback_on'], what: '429' | '5xx' | 'timeout') =>
  what === '429' ? on.includes(429) || on.includes('4xx') : on.includes(what)

function fallbackRow(a: CheckAlias): CheckRow {
  if (a.targets.length < 2) return row(5, 'fallback-config', a.name, 'fail', 'one target: nothing to fall back to')
  const missing = (['429', '5xx', 'timeout'] as const).filter((w) => !covers(a.fallback_on, w))
  if (missing.length) return row(5, 'fallback-config', a.name, 'fail', `fallback_on lacks ${missing.join(', ')}`)
  return row(
    5,
    'fallback-config',
    a.name,
    'pass',
    `${a.targets.length} targets, fallback_on ${a.fallback_on.join(', ')}`,
  )
}

const money = (l: CheckLimit) =>
  [
    l.budget_usd !== null ? `$${l.budget_usd}/${l.budget_period}` : '',
    l.rpm !== null ? `rpm ${l.rpm}` : '',
    l.tpm !== null ? `tpm ${l.tpm}` : '',
    l.soft_budget_usd !== null ? `alert at $${l.soft_budget_usd}` : '',
    l.max_parallel !== null ? `max ${l.max_parallel} in flight` : '',
  ]
    .filter(Boolean)
    .join(', ')

function limitRows(facts: CheckFacts): CheckRow[] {
  if (!facts.limits.length)
    return [
      row(
        4,
        'budgets',
        '-',
        'fail',
        'no key, team or user has a budget or limit; recreate LiteLLM budgets (tracegate import litellm, tracegate teams create --budget-usd)',
      ),
    ]
  return facts.limits.map((l) => row(4, 'budgets', `${l.kind} ${l.name}`, 'pass', money(l)))
}

const MANUAL: CheckRow[] = [
  row(
    6,
    'cost-per-workflow',
    '-',
    'manual',
    'after real traffic: tracegate report --from DATE --to DATE --group-by workflow, and tracegate report break-even; compare with LiteLLM spend per workflow',
  ),
  row(
    7,
    'shadow-traffic',
    '-',
    'manual',
    'send a copy of production traffic through tracegate for a week; compare outputs, errors and latency per workflow in the explorer',
  ),
  row(
    8,
    'rollback',
    '-',
    'manual',
    'keep LiteLLM deployed and the SDK base_url switchable (an environment variable) until shadow traffic is clean',
  ),
]

/** Every row the running config answers without sending a request. Live rows replace the `skip` ones. */
export function staticRows(facts: CheckFacts): CheckRow[] {
  const listed = new Map(facts.providers.map((p) => [p.name, p.error]))
  const aliases = facts.aliases
  return [
    ...modelRows(facts),
    ...(aliases.length
      ? aliases.flatMap((a) => routeRows(a, listed))
      : [
          row(
            2,
            'route',
            '-',
            'manual',
            'no models[] aliases: clients name provider/model; add aliases for the names your apps use',
          ),
        ]),
    row(
      3,
      'features',
      '-',
      'skip',
      'run with --live to send chat, stream, JSON-mode, tool-call and embeddings requests',
    ),
    ...limitRows(facts),
    ...aliases.map(fallbackRow),
    row(
      5,
      'fallback-live',
      '-',
      'skip',
      'run with --live to exercise each fallback with an injected 429, 500 and timeout',
    ),
    ...MANUAL,
  ]
}
