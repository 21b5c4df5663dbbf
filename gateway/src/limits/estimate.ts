import type { RoutePlan } from '../routing/resolve.ts'
import type { RequestFacts } from '../wires/types.ts'
import type { Pricer } from '../spans/pricing.ts'

/** Output token caps by wire format: OpenAI chat and completions, Responses, Anthropic, Gemini. */
function requestedMaxOutput(json: unknown): number | undefined {
  if (typeof json !== 'object' || json === null) return undefined
  const j = json as Record<string, unknown>
  const gen = j.generationConfig as Record<string, unknown> | undefined
  for (const v of [j.max_completion_tokens, j.max_tokens, j.max_output_tokens, gen?.maxOutputTokens])
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) return Math.ceil(v)
  return undefined
}

/** Without a cap from the request or config, and without a context window to bound it. */
const UNBOUNDED_OUTPUT = 128_000

/**
 * The most a request can cost and the most tokens it can use, before it is sent: its input as at
 * most one token per three bytes of body (tokenizers average about four characters), and the
 * output it caps, else the configured default, else the model's context window. Over the plan's
 * targets the dearest counts: any of them may answer.
 */
export function worstCase(
  pricer: Pricer,
  plan: RoutePlan,
  request: RequestFacts,
  bodyBytes: number,
  defaultMaxOutput: number | undefined,
): { costUsd: number; tokens: number } {
  const input = Math.ceil(bodyBytes / 3)
  const capped = requestedMaxOutput(request.json) ?? defaultMaxOutput
  let costUsd = 0
  let tokens = 0
  for (const t of plan.targets) {
    const window = capped === undefined ? pricer.contextWindow(t.adapter.name, t.adapter.pricingId, t.model) : undefined
    const output = capped ?? (window !== undefined ? Math.max(1, window - input) : UNBOUNDED_OUTPUT)
    const usd = pricer.price(t.adapter.name, t.adapter.pricingId, t.model, {
      input_tokens: input,
      output_tokens: output,
    }).usd
    costUsd = Math.max(costUsd, usd ?? 0)
    tokens = Math.max(tokens, input + output)
  }
  return { costUsd, tokens }
}
