import { Pool } from 'undici'
import type { Config, ProviderConfig, ProviderType } from '@tracegate/schemas'
import type { ProviderAdapter, UpstreamBase, UsageQuirks } from './types.ts'
import { bearer, xApiKey, azureApiKey, googApiKey } from './auth.ts'
import { joinPath } from './paths.ts'

interface ProviderDefaults {
  type: ProviderType
  baseUrl?: string
  semconvName: string
  pricingId?: string
  /** Environment variable that supplies the provider key when the config names none. */
  keyEnv?: string
  /** Google takes its key in x-goog-api-key, on the native and the OpenAI-compatible API alike. */
  auth?: (key: string) => Array<[string, string]>
  /** Where the OpenAI-compatible API lives under the base URL, when not at the base itself. */
  openaiPath?: string
  usageQuirks?: UsageQuirks
  /**
   * A default base URL on this machine (ollama): such a provider exists only when configured,
   * so a caller cannot make the gateway reach a local service nobody set up.
   */
  localOnly?: boolean
}

/**
 * Built-in providers as data. A new OpenAI-compatible provider is one line here;
 * a custom one needs only `type` and `base_url` in config.
 */
export const BUILTIN_DEFAULTS: Record<string, ProviderDefaults> = {
  openai: { type: 'openai', baseUrl: 'https://api.openai.com/v1', semconvName: 'openai', pricingId: 'openai', keyEnv: 'OPENAI_API_KEY' },
  anthropic: { type: 'anthropic', baseUrl: 'https://api.anthropic.com', semconvName: 'anthropic', pricingId: 'anthropic', keyEnv: 'ANTHROPIC_API_KEY' },
  // Azure has no global endpoint: base_url is the resource's `https://NAME.openai.azure.com/openai/v1`.
  azure: { type: 'azure', semconvName: 'azure.ai.openai', pricingId: 'azure', keyEnv: 'AZURE_API_KEY' },
  // The base is the native API (/p/gemini/v1beta/models/…:generateContent); /v1/* goes to its OpenAI-compatible API.
  gemini: { type: 'openai-compatible', baseUrl: 'https://generativelanguage.googleapis.com', openaiPath: '/v1beta/openai', semconvName: 'gcp.gemini', pricingId: 'google', keyEnv: 'GEMINI_API_KEY', auth: googApiKey },
  groq: { type: 'openai-compatible', baseUrl: 'https://api.groq.com/openai/v1', semconvName: 'groq', pricingId: 'groq', keyEnv: 'GROQ_API_KEY' },
  mistral: { type: 'openai-compatible', baseUrl: 'https://api.mistral.ai/v1', semconvName: 'mistral_ai', pricingId: 'mistral', keyEnv: 'MISTRAL_API_KEY' },
  deepseek: { type: 'openai-compatible', baseUrl: 'https://api.deepseek.com/v1', semconvName: 'deepseek', pricingId: 'deepseek', keyEnv: 'DEEPSEEK_API_KEY' },
  together: { type: 'openai-compatible', baseUrl: 'https://api.together.xyz/v1', semconvName: 'together', pricingId: 'together', keyEnv: 'TOGETHER_API_KEY' },
  fireworks: { type: 'openai-compatible', baseUrl: 'https://api.fireworks.ai/inference/v1', semconvName: 'fireworks', pricingId: 'fireworks', keyEnv: 'FIREWORKS_API_KEY' },
  openrouter: { type: 'openai-compatible', baseUrl: 'https://openrouter.ai/api/v1', semconvName: 'openrouter', pricingId: 'openrouter', keyEnv: 'OPENROUTER_API_KEY' },
  xai: { type: 'openai-compatible', baseUrl: 'https://api.x.ai/v1', semconvName: 'x_ai', pricingId: 'x-ai', keyEnv: 'XAI_API_KEY', usageQuirks: { reasoningOutsideOutput: true } },
  ollama: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1', semconvName: 'ollama', localOnly: true },
}

/** Upstream connections per provider unless `max_connections` says otherwise. */
export const DEFAULT_MAX_CONNECTIONS = 256
const KEEP_ALIVE_MS = 30_000

const trimSlash = (u: string) => u.replace(/\/+$/, '')

function splitBase(base: string): UpstreamBase {
  const u = new URL(base)
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80
  return { origin: u.origin, path: trimSlash(u.pathname), host: u.hostname, port }
}

function authFor(type: ProviderType, defaults: ProviderDefaults | undefined): (key: string) => Array<[string, string]> {
  if (defaults?.auth) return defaults.auth
  return type === 'anthropic' ? xApiKey : type === 'azure' ? azureApiKey : bearer
}

function makeAdapter(name: string, cfg: ProviderConfig | undefined): ProviderAdapter | undefined {
  const defaults = BUILTIN_DEFAULTS[name]
  if (defaults?.localOnly && !cfg) return undefined
  const type = cfg?.type ?? defaults?.type
  const base = cfg?.base_url ?? defaults?.baseUrl
  if (!type || !base) return undefined
  const native = splitBase(trimSlash(base))
  const openaiPath = type === 'anthropic' ? '/v1' : defaults?.openaiPath
  const openai = openaiPath ? { ...native, path: joinPath(native.path, openaiPath) } : native
  return {
    name,
    type,
    native,
    openai,
    semconvName: defaults?.semconvName ?? name,
    pricingId: cfg?.pricing_provider ?? defaults?.pricingId,
    configKey: cfg?.api_key,
    query: cfg?.api_version ? `?api-version=${encodeURIComponent(cfg.api_version)}` : '',
    authHeaders: authFor(type, defaults),
    defaultHeaders: type === 'anthropic' ? [['anthropic-version', '2023-06-01']] : [],
    usageQuirks: defaults?.usageQuirks ?? {},
    // Its own pool: a provider that hangs holds only its own connections, never another's.
    dispatcher: new Pool(native.origin, { connections: cfg?.max_connections ?? DEFAULT_MAX_CONNECTIONS, keepAliveTimeout: KEEP_ALIVE_MS }),
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

  names(): string[] {
    return [...this.byName.keys()]
  }

  /** Providers whose key comes from the config, i.e. the operator's own keys. */
  withOperatorKeys(): string[] {
    return [...this.byName.values()].filter((a) => a.configKey).map((a) => a.name)
  }

  async close(): Promise<void> {
    await Promise.all([...this.byName.values()].map((a) => a.dispatcher.close()))
  }
}
