import type { Attribution } from '../spans/attribution.ts'
import type { ShadowPlan, Target } from '../routing/resolve.ts'

const allows = (names: string[] | undefined, value: string) => names === undefined || names.includes(value)

/** The shadow targets for this request, or null when it is not shadowed (no shadow, no match, not drawn). */
export function shadowTargets(
  plan: ShadowPlan | undefined,
  who: Attribution,
  draw: () => number = Math.random,
): Target[] | null {
  if (!plan || plan.sample <= 0) return null
  if (!allows(plan.match.workflow, who.workflow) || !allows(plan.match.team, who.team)) return null
  return draw() < plan.sample ? plan.targets : null
}
