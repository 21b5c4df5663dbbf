/** Wire families a provider can speak; built-in providers map onto one of these. */
export const PROVIDER_TYPES = ['openai', 'anthropic', 'azure', 'openai-compatible'] as const
export type ProviderType = (typeof PROVIDER_TYPES)[number]

/** The header a provider takes its key in. */
export type AuthHeader = 'authorization' | 'x-api-key' | 'api-key' | 'x-goog-api-key'

/** What a built-in provider is, as data: the gateway's registry builds adapters from it, the config schema its names. */
export interface BuiltinProvider {
  type: ProviderType
  baseUrl?: string
  semconvName: string
  pricingId?: string
  /** Environment variable that supplies the provider key when the config names none. */
  keyEnv?: string
  /** Where the key goes when not the type's usual header (Google's x-goog-api-key, on its native and OpenAI-compatible API alike). */
  auth?: AuthHeader
  /** Where the OpenAI-compatible API lives under the base URL, when not at the base itself. */
  openaiPath?: string
  /** completion_tokens leaves reasoning tokens out, though they are billed as output (xAI). */
  reasoningOutsideOutput?: boolean
  /**
   * A default base URL on this machine (ollama): such a provider exists only when configured,
   * so a caller cannot make the gateway reach a local service nobody set up.
   */
  localOnly?: boolean
}

/**
 * The one list of built-in providers. A new OpenAI-compatible provider is one entry here;
 * a custom one needs only `type` and `base_url` in config.
 */
const TABLE = {
  openai: {
    type: 'openai',
    baseUrl: 'https://api.openai.com/v1',
    semconvName: 'openai',
    pricingId: 'openai',
    keyEnv: 'OPENAI_API_KEY',
  },
  anthropic: {
    type: 'anthropic',
    baseUrl: 'https://api.anthropic.com',
    semconvName: 'anthropic',
    pricingId: 'anthropic',
    keyEnv: 'ANTHROPIC_API_KEY',
  },
  // Azure has no global endpoint: base_url is the resource's `https://NAME.openai.azure.com/openai/v1`.
  azure: { type: 'azure', semconvName: 'azure.ai.openai', pricingId: 'azure', keyEnv: 'AZURE_API_KEY' },
  // The base is the native API (/p/gemini/v1beta/models/…:generateContent); /v1/* goes to its OpenAI-compatible API.
  gemini: {
    type: 'openai-compatible',
    baseUrl: 'https://generativelanguage.googleapis.com',
    openaiPath: '/v1beta/openai',
    semconvName: 'gcp.gemini',
    pricingId: 'google',
    keyEnv: 'GEMINI_API_KEY',
    auth: 'x-goog-api-key',
  },
  groq: {
    type: 'openai-compatible',
    baseUrl: 'https://api.groq.com/openai/v1',
    semconvName: 'groq',
    pricingId: 'groq',
    keyEnv: 'GROQ_API_KEY',
  },
  mistral: {
    type: 'openai-compatible',
    baseUrl: 'https://api.mistral.ai/v1',
    semconvName: 'mistral_ai',
    pricingId: 'mistral',
    keyEnv: 'MISTRAL_API_KEY',
  },
  deepseek: {
    type: 'openai-compatible',
    baseUrl: 'https://api.deepseek.com/v1',
    semconvName: 'deepseek',
    pricingId: 'deepseek',
    keyEnv: 'DEEPSEEK_API_KEY',
  },
  together: {
    type: 'openai-compatible',
    baseUrl: 'https://api.together.xyz/v1',
    semconvName: 'together',
    pricingId: 'together',
    keyEnv: 'TOGETHER_API_KEY',
  },
  fireworks: {
    type: 'openai-compatible',
    baseUrl: 'https://api.fireworks.ai/inference/v1',
    semconvName: 'fireworks',
    pricingId: 'fireworks',
    keyEnv: 'FIREWORKS_API_KEY',
  },
  openrouter: {
    type: 'openai-compatible',
    baseUrl: 'https://openrouter.ai/api/v1',
    semconvName: 'openrouter',
    pricingId: 'openrouter',
    keyEnv: 'OPENROUTER_API_KEY',
  },
  xai: {
    type: 'openai-compatible',
    baseUrl: 'https://api.x.ai/v1',
    semconvName: 'x_ai',
    pricingId: 'x-ai',
    keyEnv: 'XAI_API_KEY',
    reasoningOutsideOutput: true,
  },
  ollama: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1', semconvName: 'ollama', localOnly: true },
} as const satisfies Record<string, BuiltinProvider>

export type BuiltinProviderName = keyof typeof TABLE
export const BUILTIN_PROVIDERS: Readonly<Record<BuiltinProviderName, BuiltinProvider>> = TABLE
export const BUILTIN_PROVIDER_NAMES = Object.keys(TABLE) as BuiltinProviderName[]
