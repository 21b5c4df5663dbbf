import type { ResponseFacts } from '../wires/facts.ts'
import type { Usage } from '../wires/usage-keys.ts'
import type { AttemptObservation, RequestObservation } from './observation.ts'
import type { Cost, Pricer } from './pricing.ts'

/** An attempt's cost, with the parts its span shows apart. */
export interface AttemptCost extends Cost {
  webFetchUsd: number
}

/**
 * One shape for every cost built per span. Spreading a cost into a new object literal made V8 build
 * a fresh hidden class in the old generation on every call (~130 bytes a span, garbage only a full
 * collection frees); a literal with its fields always in this order reuses one.
 */
const attemptCost = (
  usd: number | null,
  source: Cost['source'],
  webSearchUsd: number | undefined,
  webFetchUsd: number,
): AttemptCost => ({
  usd,
  source,
  webSearchUsd,
  webFetchUsd,
})

function sumCosts(parts: Cost[]): Cost {
  if (parts.length === 1) return parts[0]!
  const bad = parts.find((c) => c.usd === null)
  if (bad) return bad
  let usd = 0
  let web = 0
  for (const c of parts) {
    usd += c.usd!
    web += c.webSearchUsd ?? 0
  }
  return { usd, source: parts[0]!.source, webSearchUsd: web || undefined }
}

/** Price the usage as billed: compaction rounds one by one (each has its own tier), web fetches per call. */
function priceAs(pricer: Pricer, a: AttemptObservation, model: string, facts: ResponseFacts): AttemptCost {
  const rounds: Usage[] = facts.iterations ?? (facts.usage ? [facts.usage] : [])
  const cost = rounds.length
    ? sumCosts(rounds.map((u) => pricer.price(a.adapter.name, a.adapter.pricingId, model, u)))
    : pricer.price(a.adapter.name, a.adapter.pricingId, model, null)
  const webFetchUsd = facts.webFetches ? pricer.webFetchCost(a.adapter.name, model, facts.webFetches) : 0
  return attemptCost(cost.usd === null ? null : cost.usd + webFetchUsd, cost.source, cost.webSearchUsd, webFetchUsd)
}

/**
 * What an attempt cost. The dated snapshot the provider answered with is what it bills; the name
 * asked for is the fallback. Counting tokens is free ($0 with its own source). Usage the response
 * carried but that could not be read is flagged as such, never passed off as "no usage".
 */
export function priceAttempt(
  o: RequestObservation,
  a: AttemptObservation,
  facts: ResponseFacts,
  pricer: Pricer,
): AttemptCost {
  if (o.wire.operation === 'count_tokens')
    return attemptCost(a.httpStatus > 0 && a.httpStatus < 400 ? 0 : null, 'free', undefined, 0)
  const answered = a.httpStatus > 0 && a.httpStatus < 400 && !a.errorType
  if (!facts.usage && (facts.usageUnreadable || (answered && a.response?.gap)))
    return attemptCost(null, 'usage_unreadable', undefined, 0)
  const cost = priceAs(pricer, a, facts.responseModel || a.model, facts)
  return cost.source === 'unpriced' && facts.responseModel && facts.responseModel !== a.model
    ? priceAs(pricer, a, a.model, facts)
    : cost
}

/** An answered attempt's cost from its captured body, read as its span will read it (x-litellm-response-cost). */
export function costOfAnswer(pricer: Pricer, o: RequestObservation, a: AttemptObservation): number | null {
  const facts = o.wire.readResponse(a.response?.text() ?? '', { stream: false, quirks: a.adapter.usageQuirks })
  return priceAttempt(o, a, facts, pricer).usd
}
