import { budgetPeriod, envRef, isObject, type Json, type Say } from './shared.ts'

/**
 * Keys and teams as LiteLLM's /key/list and /team/list export them, as tracegate's `keys:` and
 * `teams:`: budgets, durations, limits and models. A key without its secret cannot be carried over.
 */
export function importKeysAndTeams(source: Json, say: Say): Json {
  const out: Json = {}
  const teamNames = new Map<string, string>()
  const teams = (Array.isArray(source.teams) ? source.teams : []).flatMap((t, i) => {
    if (!isObject(t)) return []
    const name = String(t.team_alias ?? t.team_id ?? `team-${i + 1}`)
    if (t.team_id !== undefined) teamNames.set(String(t.team_id), name)
    return [{ name, ...limits(t, `teams[${i}]`, say) }]
  })
  const keys = (Array.isArray(source.keys) ? source.keys : []).flatMap((k, i) => {
    const path = `keys[${i}]`
    if (!isObject(k) || (typeof k.key !== 'string' && typeof k.token !== 'string')) {
      say('unsupported', path, 'a key without its secret (`key`): make it again with `tracegate keys create`')
      return []
    }
    const secret = String(k.key ?? k.token)
    const entry: Json = {
      key: envRef(secret) ?? secret,
      name: String(k.key_alias ?? k.key_name ?? `litellm-key-${i + 1}`),
    }
    if (k.team_id !== undefined) entry.team = teamNames.get(String(k.team_id)) ?? String(k.team_id)
    if (k.user_id !== undefined) entry.user = String(k.user_id)
    if (Array.isArray(k.models) && k.models.length) {
      entry.models = k.models.map(String)
      say('mapped', `${path}.models`, 'models (aliases and globs)')
    }
    if (typeof k.expires === 'string') entry.expires_at = new Date(k.expires).toISOString()
    say('mapped', path, `key "${entry.name}"`)
    return [{ ...entry, ...limits(k, path, say) }]
  })
  if (teams.length) out.teams = teams
  if (keys.length) out.keys = keys
  return out
}

function limits(o: Json, path: string, say: Say): Json {
  const l: Json = {}
  if (typeof o.max_budget === 'number') {
    l.budget_usd = o.max_budget
    say('mapped', `${path}.max_budget`, 'budget_usd')
  }
  if (typeof o.soft_budget === 'number') l.soft_budget_usd = o.soft_budget
  if (typeof o.budget_duration === 'string') {
    const [period, exact] = budgetPeriod(o.budget_duration)
    l.budget_period = period
    say(
      exact ? 'mapped' : 'approximated',
      `${path}.budget_duration`,
      exact
        ? `budget_period ${period}`
        : `${o.budget_duration} → budget_period ${period} (calendar-aligned in limits.time_zone)`,
    )
  } else if (l.budget_usd !== undefined) l.budget_period = 'none'
  for (const [from, to] of [
    ['tpm_limit', 'tpm'],
    ['rpm_limit', 'rpm'],
    ['max_parallel_requests', 'max_parallel'],
  ] as const)
    if (typeof o[from] === 'number') {
      l[to] = o[from]
      say('mapped', `${path}.${from}`, to)
    }
  return l
}
