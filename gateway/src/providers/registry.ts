import { Pool } from 'undici'
import {
  BUILTIN_PROVIDERS,
  type BuiltinProvider,
  type BuiltinProviderName,
  type Config,
  type ProviderConfig,
  type ProviderType,
} from '@tracegate/schemas'
import type { ProviderAdapter, UpstreamBase } from './types.ts'
import { AUTH_HEADERS } from './auth.ts'
import { joinPath } from './paths.ts'

/** Upstream connections per provider unless `max_connections` says otherwise. */
export const DEFAULT_MAX_CONNECTIONS = 256
const KEEP_ALIVE_MS = 30_000

const trimSlash = (u: string) => u.replace(/\/+$/, '')

function splitBase(base: string): UpstreamBase {
  const u = new URL(base)
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80
  return { origin: u.origin, path: trimSlash(u.pathname), host: u.hostname, port }
}

/** The header a provider's key goes in: its own if it says so, else its wire family's. */
function authFor(type: ProviderType, defaults: BuiltinProvider | undefined): (key: string) => Array<[string, string]> {
  return AUTH_HEADERS[
    defaults?.auth ?? (type === 'anthropic' ? 'x-api-key' : type === 'azure' ? 'api-key' : 'authorization')
  ]
}

const builtin = (name: string): BuiltinProvider | undefined =>
  Object.hasOwn(BUILTIN_PROVIDERS, name) ? BUILTIN_PROVIDERS[name as BuiltinProviderName] : undefined

function makeAdapter(name: string, cfg: ProviderConfig | undefined): ProviderAdapter | undefined {
  const defaults = builtin(name)
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
    usageQuirks: { reasoningOutsideOutput: defaults?.reasoningOutsideOutput },
    // Its own pool: a provider that hangs holds only its own connections, never another's.
    dispatcher: new Pool(native.origin, {
      connections: cfg?.max_connections ?? DEFAULT_MAX_CONNECTIONS,
      keepAliveTimeout: KEEP_ALIVE_MS,
    }),
  }
}

/** All providers usable with this config: built-ins (unless they lack a base URL) plus configured ones. */
export class ProviderRegistry {
  private readonly byName = new Map<string, ProviderAdapter>()

  constructor(config: Config) {
    const names = new Set([...Object.keys(BUILTIN_PROVIDERS), ...Object.keys(config.providers)])
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
