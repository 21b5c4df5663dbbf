import type { Config, ProviderConfig, ProviderType } from '@tracegate/schemas'
import type { ProviderAdapter, UpstreamBase } from './types.ts'
import { bearer, xApiKey, azureApiKey } from './auth.ts'

interface ProviderDefaults {
  type: ProviderType
  baseUrl?: string
  semconvName: string
  pricingId?: string
}

/**
 * Built-in providers as data. A new OpenAI-compatible provider is one line here;
 * a custom one needs only `type` and `base_url` in config.
 */
export const BUILTIN_DEFAULTS: Record<string, ProviderDefaults> = {
  openai: { type: 'openai', baseUrl: 'https://api.openai.com/v1', semconvName: 'openai', pricingId: 'openai' },
  anthropic: { type: 'anthropic', baseUrl: 'https://api.anthropic.com', semconvName: 'anthropic', pricingId: 'anthropic' },
  // Azure has no global endpoint: base_url is the resource's `https://NAME.openai.azure.com/openai/v1`.
  azure: { type: 'azure', semconvName: 'azure.ai.openai', pricingId: 'azure' },
  gemini: { type: 'openai-compatible', baseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai', semconvName: 'gcp.gemini', pricingId: 'google' },
  groq: { type: 'openai-compatible', baseUrl: 'https://api.groq.com/openai/v1', semconvName: 'groq', pricingId: 'groq' },
  mistral: { type: 'openai-compatible', baseUrl: 'https://api.mistral.ai/v1', semconvName: 'mistral_ai', pricingId: 'mistral' },
  deepseek: { type: 'openai-compatible', baseUrl: 'https://api.deepseek.com/v1', semconvName: 'deepseek', pricingId: 'deepseek' },
  together: { type: 'openai-compatible', baseUrl: 'https://api.together.xyz/v1', semconvName: 'together', pricingId: 'together' },
  fireworks: { type: 'openai-compatible', baseUrl: 'https://api.fireworks.ai/inference/v1', semconvName: 'fireworks', pricingId: 'fireworks' },
  openrouter: { type: 'openai-compatible', baseUrl: 'https://openrouter.ai/api/v1', semconvName: 'openrouter', pricingId: 'openrouter' },
  xai: { type: 'openai-compatible', baseUrl: 'https://api.x.ai/v1', semconvName: 'x_ai', pricingId: 'x-ai' },
  ollama: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1', semconvName: 'ollama' },
}

const trimSlash = (u: string) => u.replace(/\/+$/, '')

function splitBase(base: string): UpstreamBase {
  const u = new URL(base)
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80
  return { origin: u.origin, path: trimSlash(u.pathname), host: u.hostname, port }
}

function makeAdapter(name: string, cfg: ProviderConfig | undefined): ProviderAdapter | undefined {
  const defaults = BUILTIN_DEFAULTS[name]
  const type = cfg?.type ?? defaults?.type
  const base = cfg?.base_url ?? defaults?.baseUrl
  if (!type || !base) return undefined
  const baseUrl = trimSlash(base)
  return {
    name,
    type,
    native: splitBase(baseUrl),
    openai: splitBase(type === 'anthropic' ? `${baseUrl}/v1` : baseUrl),
    semconvName: defaults?.semconvName ?? name,
    pricingId: cfg?.pricing_provider ?? defaults?.pricingId,
    configKey: cfg?.api_key,
    query: cfg?.api_version ? `?api-version=${encodeURIComponent(cfg.api_version)}` : '',
    authHeaders: type === 'anthropic' ? xApiKey : type === 'azure' ? azureApiKey : bearer,
    defaultHeaders: type === 'anthropic' ? [['anthropic-version', '2023-06-01']] : [],
  }
}

/** All providers usable with this config: built-ins (unless they lack a base URL) plus configured ones. */
export class ProviderRegistry {
  private readonly byName = new Map<string, ProviderAdapter>()

  constructor(config: Config) {
    const names = new Set([...Object.keys(BUILTIN_DEFAULTS), ...Object.keys(config.providers)])
    for (const name of names) {
      const adapter = makeAdapter(name, config.providers[name])
      if (adapter) this.byName.set(name, adapter)
    }
  }

  get(name: string): ProviderAdapter | undefined {
    return this.byName.get(name)
  }
}
