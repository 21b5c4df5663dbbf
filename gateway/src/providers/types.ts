import type { Dispatcher } from 'undici'
import type { ProviderType } from '@tracegate/schemas'

import type { UsageQuirks } from '../wires/types.ts'

/**
 * What distinguishes one provider from another: where it lives, how it wants to be
 * authenticated, and what it is called for pricing and for OpenTelemetry. Everything else
 * (forwarding, streaming, usage parsing) is shared per wire format.
 */
export interface ProviderAdapter {
  readonly name: string
  readonly type: ProviderType
  /** The configured base URL, split once so each request only concatenates strings. */
  readonly native: UpstreamBase
  /** Base of the provider's OpenAI-compatible API (for Anthropic: `${base_url}/v1`). */
  readonly openai: UpstreamBase
  /** `gen_ai.provider.name` value. */
  readonly semconvName: string
  /** genai-prices provider id, undefined when the provider has no public price list. */
  readonly pricingId: string | undefined
  /** Provider key from config, used with gateway keys or when the client sends none. */
  readonly configKey: string | undefined
  /** Query string appended to every upstream path (Azure's api-version), '' if none. */
  readonly query: string
  /** Header pairs carrying the provider key. */
  authHeaders(key: string): Array<[string, string]>
  /** Headers the provider needs that a client may not send (e.g. anthropic-version). */
  readonly defaultHeaders: ReadonlyArray<[string, string]>
  /** How this provider's usage differs from its wire format's. */
  readonly usageQuirks: UsageQuirks
  /** This provider's own keep-alive pool, sized by `max_connections`. */
  readonly dispatcher: Dispatcher
}

export interface UpstreamBase {
  /** scheme://host:port */
  readonly origin: string
  /** Path prefix without trailing slash ('' for a bare host). */
  readonly path: string
  readonly host: string
  readonly port: number
}
