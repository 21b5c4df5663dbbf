import { BUILTIN_PROVIDER_NAMES } from '@tracegate/schemas'
import { envRef, isObject, type Json, type ReportLine, type Verdict } from './shared.ts'
import { importKeysAndTeams } from './keys-import.ts'

export type { ReportLine, Verdict } from './shared.ts'

/**
 * A LiteLLM proxy config (config.yaml) turned into a tracegate config, with a line for every
 * setting read: mapped, approximated (and how) or unsupported (and why). Nothing is dropped
 * without a line saying so. Pure: the CLI reads the file, validates the result and writes it.
 */

interface Deployment {
  path: string
  alias: string
  provider: string
  model: string
  weight?: number
  order?: number
}

/** LiteLLM's provider prefixes that name one of tracegate's built-in providers. */
const PROVIDER_NAMES: Record<string, string> = {
  openai: 'openai',
  text_completion_openai: 'openai',
  anthropic: 'anthropic',
  azure: 'azure',
  azure_ai: 'azure',
  gemini: 'gemini',
  groq: 'groq',
  mistral: 'mistral',
  deepseek: 'deepseek',
  together_ai: 'together',
  fireworks_ai: 'fireworks',
  openrouter: 'openrouter',
  xai: 'xai',
  ollama: 'ollama',
  ollama_chat: 'ollama',
}
/** Prefixes that speak OpenAI's API at an api_base of the user's: an openai-compatible provider. */
const OPENAI_COMPATIBLE = new Set([
  'hosted_vllm',
  'vllm',
  'openai_compatible',
  'custom_openai',
  'lm_studio',
  'llamafile',
])

export class LiteLlmImport {
  readonly report: ReportLine[] = []
  /** general_settings.master_key, as a `${NAME}` reference or its value. */
  private masterKey: string | undefined
  private readonly providers: Record<string, Json> = {}
  private readonly deployments: Deployment[] = []
  private readonly aliasPolicy = new Map<string, Json>()

  constructor(private readonly source: Json) {}

  private say(verdict: Verdict, path: string, note: string): void {
    this.report.push({ verdict, path, note })
  }

  /** The tracegate config, as an object for YAML. */
  convert(): Json {
    const out: Json = {}
    for (const key of Object.keys(this.source))
      if (!['model_list', 'router_settings', 'general_settings', 'litellm_settings', 'keys', 'teams'].includes(key))
        this.say('unsupported', key, 'not a LiteLLM proxy setting tracegate knows')
    const list = Array.isArray(this.source.model_list) ? this.source.model_list : []
    list.forEach((entry, i) => this.deployment(entry, `model_list[${i}]`))
    const router = isObject(this.source.router_settings) ? this.source.router_settings : {}
    const models = this.aliases(router)
    if (Object.keys(this.providers).length) out.providers = this.providers
    if (models.length) out.models = models
    // Its clients may read the cost header LiteLLM sends on every answer.
    out.litellm = { response_cost_header: true }
    this.general()
    this.litellmSettings()
    Object.assign(
      out,
      importKeysAndTeams(this.source, (v, p, n) => this.say(v, p, n)),
    )
    // LiteLLM's master key also calls models: as a gateway key, the clients that use it keep working.
    if (this.masterKey)
      out.keys = [{ key: this.masterKey, name: 'litellm-master' }, ...((out.keys as unknown[] | undefined) ?? [])]
    return out
  }

  private deployment(entry: unknown, path: string): void {
    if (!isObject(entry) || typeof entry.model_name !== 'string' || !isObject(entry.litellm_params))
      return this.say('unsupported', path, 'an entry without model_name and litellm_params')
    const alias = entry.model_name
    const p = entry.litellm_params
    const full = String(p.model ?? '')
    const slash = full.indexOf('/')
    const prefix = slash > 0 ? full.slice(0, slash) : ''
    const model = slash > 0 ? full.slice(slash + 1) : full
    const provider = this.provider(prefix, model, p, `${path}.litellm_params`)
    if (!provider) return
    this.say('mapped', `${path}.litellm_params.model`, `${full} → provider ${provider}, model ${model}`)
    if (alias.includes('*') || model.includes('*')) {
      this.say(
        'mapped',
        `${path}.model_name`,
        `wildcard route "${alias}": tracegate routes \`${provider}/<model>\` to ${provider} without an alias`,
      )
      return
    }
    const d: Deployment = { path, alias, provider, model }
    if (typeof p.weight === 'number') d.weight = p.weight
    if (typeof p.order === 'number') d.order = p.order
    if (d.weight !== undefined) this.say('mapped', `${path}.litellm_params.weight`, `target weight ${d.weight}`)
    if (d.order !== undefined) this.say('mapped', `${path}.litellm_params.order`, `target ${d.order} in fallback order`)
    this.deployments.push(d)
    this.perDeployment(alias, p, path)
    for (const k of Object.keys(p))
      if (
        ![
          'model',
          'api_base',
          'api_key',
          'api_version',
          'rpm',
          'tpm',
          'timeout',
          'stream_timeout',
          'max_retries',
          'weight',
          'order',
        ].includes(k)
      )
        this.say(
          'unsupported',
          `${path}.litellm_params.${k}`,
          'no tracegate equivalent; requests pass through unchanged',
        )
    if (isObject(entry.model_info))
      this.say(
        'unsupported',
        `${path}.model_info`,
        'tracegate takes model facts and prices from genai-prices (override prices under `prices:`)',
      )
  }

  /** The provider a deployment calls: a built-in one, or one made for its api_base and key. */
  private provider(prefix: string, model: string, p: Json, path: string): string | null {
    const builtin = PROVIDER_NAMES[prefix] ?? (prefix === '' ? inferProvider(model) : undefined)
    const custom = OPENAI_COMPATIBLE.has(prefix)
    if (!builtin && !custom) {
      this.say(
        'unsupported',
        `${path}.model`,
        `provider "${prefix}" has no tracegate adapter; call it through an openai-compatible endpoint`,
      )
      return null
    }
    if (prefix === '')
      this.say('approximated', `${path}.model`, `no provider prefix: LiteLLM infers one, taken as ${builtin}`)
    const entry: Json = {}
    if (custom) entry.type = 'openai-compatible'
    if (typeof p.api_base === 'string') {
      entry.base_url = builtin === 'azure' ? `${p.api_base.replace(/\/+$/, '')}/openai/v1` : p.api_base
      this.say(
        builtin === 'azure' ? 'approximated' : 'mapped',
        `${path}.api_base`,
        builtin === 'azure' ? `Azure's v1 API at ${entry.base_url} (the deployment is the model)` : 'base_url',
      )
    } else if (custom) {
      this.say('unsupported', `${path}.api_base`, 'an openai-compatible provider needs an api_base')
      return null
    }
    if (p.api_key !== undefined) {
      const ref = envRef(p.api_key)
      entry.api_key = ref ?? String(p.api_key)
      this.say(
        ref ? 'mapped' : 'approximated',
        `${path}.api_key`,
        ref ? `api_key ${ref}` : 'a literal key copied as is: move it to an environment variable (${NAME})',
      )
    }
    if (typeof p.api_version === 'string') {
      entry.api_version = p.api_version
      this.say('mapped', `${path}.api_version`, 'api_version')
    }
    const base = custom ? `${prefix.replace(/_/g, '-')}` : builtin!
    if (!custom && !Object.keys(entry).length) return builtin!
    return this.providerName(base, entry, custom || !(BUILTIN_PROVIDER_NAMES as readonly string[]).includes(base))
  }

  /** The same settings share a provider; different ones (two Azure resources) get -2, -3… names. */
  private providerName(base: string, entry: Json, needsType: boolean): string {
    for (let n = 1; ; n++) {
      const name = n === 1 ? base : `${base}-${n}`
      const existing = this.providers[name]
      if (existing && JSON.stringify(existing) === JSON.stringify(entry)) return name
      if (!existing) {
        // A second built-in of another address is a custom provider of the built-in's type.
        if (n > 1 || needsType)
          entry.type ??= base === 'azure' ? 'azure' : base === 'anthropic' ? 'anthropic' : 'openai-compatible'
        this.providers[name] = entry
        return name
      }
    }
  }

  private perDeployment(alias: string, p: Json, path: string): void {
    const policy = this.aliasPolicy.get(alias) ?? {}
    if (typeof p.timeout === 'number') {
      policy.timeout_ms = Math.max(Number(policy.timeout_ms ?? 0), p.timeout * 1000)
      this.say(
        'approximated',
        `${path}.litellm_params.timeout`,
        `alias timeout_ms ${policy.timeout_ms} (tracegate times a whole request, per alias)`,
      )
    }
    if (typeof p.stream_timeout === 'number') {
      policy.first_byte_timeout_ms = Math.max(Number(policy.first_byte_timeout_ms ?? 0), p.stream_timeout * 1000)
      this.say(
        'approximated',
        `${path}.litellm_params.stream_timeout`,
        `alias first_byte_timeout_ms ${policy.first_byte_timeout_ms}`,
      )
    }
    if (typeof p.max_retries === 'number') {
      policy.retries = Math.max(Number(policy.retries ?? 0), p.max_retries)
      this.say(
        'approximated',
        `${path}.litellm_params.max_retries`,
        `alias retries ${policy.retries} (per alias, not per deployment)`,
      )
    }
    for (const k of ['rpm', 'tpm'] as const)
      if (p[k] !== undefined)
        this.say(
          'unsupported',
          `${path}.litellm_params.${k}`,
          "tracegate limits callers (keys, teams), not deployments; a provider's 429 moves the request on",
        )
    this.aliasPolicy.set(alias, policy)
  }

  /** One alias per model_name: its deployments, then the aliases it falls back to. */
  private aliases(router: Json): Json[] {
    const names = [...new Set(this.deployments.map((d) => d.alias))]
    const strategy = typeof router.routing_strategy === 'string' ? router.routing_strategy : 'simple-shuffle'
    if (router.routing_strategy !== undefined)
      this.say(
        strategy === 'simple-shuffle' ? 'mapped' : 'approximated',
        'router_settings.routing_strategy',
        strategy === 'simple-shuffle'
          ? 'several deployments of a name are load-balanced by weight'
          : `${strategy} has no tracegate equivalent: deployments are load-balanced by weight, and cooldowns skip failing ones`,
      )
    const fallbacks = this.fallbacks(router)
    this.routerRest(router)
    return names.map((name) => {
      const own = this.deployments.filter((d) => d.alias === name)
      const ordered = own.some((d) => d.order !== undefined)
      const targets = own
        .sort((a, b) => (a.order ?? 0) - (b.order ?? 0))
        .map((d) => ({ provider: d.provider, model: d.model, ...(d.weight !== undefined ? { weight: d.weight } : {}) }))
      const rest = (fallbacks.get(name) ?? []).flatMap((to) =>
        this.deployments.filter((d) => d.alias === to).map((d) => ({ provider: d.provider, model: d.model })),
      )
      // A deployment's own settings win over the router-wide ones, as in LiteLLM.
      const alias: Json = { name, ...this.routerPolicy(router), ...this.aliasPolicy.get(name) }
      if (!rest.length) return { ...alias, strategy: ordered || own.length === 1 ? 'fallback' : 'loadbalance', targets }
      // Its own deployments first (balanced among themselves), then each fallback alias's.
      const first = own.length > 1 && !ordered ? [{ strategy: 'loadbalance', targets }] : targets
      return { ...alias, strategy: 'fallback', targets: [...first, ...rest] }
    })
  }

  private fallbacks(router: Json): Map<string, string[]> {
    const out = new Map<string, string[]>()
    for (const key of ['fallbacks', 'context_window_fallbacks', 'content_policy_fallbacks'] as const) {
      const list = router[key]
      if (!Array.isArray(list)) continue
      list.forEach((item, i) => {
        if (!isObject(item)) return
        for (const [from, to] of Object.entries(item)) {
          const targets = Array.isArray(to) ? to.map(String) : [String(to)]
          out.set(from, [...(out.get(from) ?? []), ...targets.filter((t) => !out.get(from)?.includes(t))])
          const note =
            key === 'fallbacks'
              ? `${from} falls back to ${targets.join(', ')}`
              : key === 'context_window_fallbacks'
                ? `${from} falls back to ${targets.join(', ')} (tracegate falls back on context-length errors among others, not on them alone)`
                : `${from} falls back to ${targets.join(', ')} on its fallback conditions: tracegate has no content-policy condition`
          this.say(key === 'fallbacks' ? 'mapped' : 'approximated', `router_settings.${key}[${i}].${from}`, note)
        }
      })
    }
    return out
  }

  /** Router-wide retries and cooldowns, applied to every alias that does not set its own. */
  private routerPolicy(router: Json): Json {
    const policy: Json = {}
    if (typeof router.num_retries === 'number') policy.retries = router.num_retries
    const cooldown: Json = {}
    if (typeof router.allowed_fails === 'number') cooldown.failures = Math.max(1, router.allowed_fails)
    if (typeof router.cooldown_time === 'number') cooldown.duration_ms = Math.round(router.cooldown_time * 1000)
    if (Object.keys(cooldown).length) policy.cooldown = cooldown
    return policy
  }

  private routerRest(router: Json): void {
    if (typeof router.num_retries === 'number')
      this.say('mapped', 'router_settings.num_retries', `retries ${router.num_retries} on every alias`)
    if (router.allowed_fails !== undefined)
      this.say('mapped', 'router_settings.allowed_fails', 'cooldown.failures: failures before a target is skipped')
    if (router.cooldown_time !== undefined) this.say('mapped', 'router_settings.cooldown_time', 'cooldown.duration_ms')
    if (isObject(router.retry_policy))
      this.say(
        'approximated',
        'router_settings.retry_policy',
        'tracegate retries per alias on 429, 5xx, timeouts and resets alike (retry_on), not a count per error type',
      )
    for (const k of Object.keys(router))
      if (
        ![
          'routing_strategy',
          'num_retries',
          'fallbacks',
          'context_window_fallbacks',
          'content_policy_fallbacks',
          'allowed_fails',
          'cooldown_time',
          'retry_policy',
        ].includes(k)
      )
        this.say('unsupported', `router_settings.${k}`, 'no tracegate equivalent')
  }

  private general(): void {
    const g = isObject(this.source.general_settings) ? this.source.general_settings : {}
    for (const [k, v] of Object.entries(g)) {
      if (k === 'master_key') {
        const ref = envRef(v)
        this.masterKey = ref ?? String(v)
        this.say(
          'mapped',
          'general_settings.master_key',
          `set TRACEGATE_ADMIN_TOKEN=${ref ? `$${ref.slice(2, -1)}` : '(its value)'}: the admin token guards the explorer and admin API; and gateway key "litellm-master" with the same secret, without limits, so clients that call models with it keep working`,
        )
      } else
        this.say(
          'unsupported',
          `general_settings.${k}`,
          k === 'database_url' ? 'tracegate keeps everything in ClickHouse' : 'no tracegate equivalent',
        )
    }
  }

  private litellmSettings(): void {
    const s = isObject(this.source.litellm_settings) ? this.source.litellm_settings : {}
    for (const k of Object.keys(s))
      this.say(
        'unsupported',
        `litellm_settings.${k}`,
        k.endsWith('callback') || k.endsWith('callbacks')
          ? 'tracegate records every call as spans itself (and exports OTLP with `otlp:`)'
          : k === 'drop_params'
            ? 'tracegate forwards requests untouched'
            : 'no tracegate equivalent',
      )
  }
}

/** LiteLLM infers a provider from a bare model name; tracegate needs one. */
function inferProvider(model: string): string {
  if (model.startsWith('claude')) return 'anthropic'
  if (model.startsWith('gemini')) return 'gemini'
  return 'openai'
}
