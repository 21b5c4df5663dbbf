import { readFileSync, existsSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { BUILTIN_PROVIDERS, ConfigSchema, type Config } from '@tracegate/schemas'

/** A config that cannot be used; `problems` holds one line per problem, each naming its path. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'))
  }
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

/** `${VAR}` and `${VAR:-default}` inside string values; an unset variable without default is an error. */
function interpolate(value: unknown, env: NodeJS.ProcessEnv, path: string, problems: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_, name: string, fallback?: string) => {
      const v = env[name]
      if (v !== undefined && v !== '') return v
      if (fallback !== undefined) return fallback
      problems.push(`${path || '(root)'}: environment variable ${name} is not set`)
      return ''
    })
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, `${path}[${i}]`, problems))
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolate(v, env, path ? `${path}.${k}` : k, problems)]),
    )
  }
  return value
}

function formatPath(path: PropertyKey[]): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p)
  return out || '(root)'
}

/** Validate a raw config object (already parsed from YAML) and apply environment overrides. */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = []
  const interpolated = interpolate(raw ?? {}, env, '', problems)
  if (problems.length) throw new ConfigError(problems)
  const result = ConfigSchema.safeParse(interpolated)
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`))
  }
  return applyEnv(result.data, env)
}

/**
 * Provider keys from the usual environment variables (OPENAI_API_KEY, ANTHROPIC_API_KEY, …) for
 * built-in providers the config gives no key: what docker-compose passes through.
 */
function applyEnvKeys(cfg: Config, env: NodeJS.ProcessEnv): void {
  for (const [name, d] of Object.entries(BUILTIN_PROVIDERS)) {
    const key = d.keyEnv && env[d.keyEnv]
    if (key && !cfg.providers[name]?.api_key) cfg.providers[name] = { ...cfg.providers[name], api_key: key }
  }
}

/** Built-in providers whose key is the one in their environment variable (for the start-up log). */
export function providersKeyedFromEnv(cfg: Config, env: NodeJS.ProcessEnv): string[] {
  return Object.entries(BUILTIN_PROVIDERS)
    .filter(([name, d]) => d.keyEnv && env[d.keyEnv] && cfg.providers[name]?.api_key === env[d.keyEnv])
    .map(([name]) => name)
}

function applyEnv(cfg: Config, env: NodeJS.ProcessEnv): Config {
  applyEnvKeys(cfg, env)
  if (env.PORT) cfg.server.port = Number(env.PORT)
  if (env.HOST) cfg.server.host = env.HOST
  if (env.CLICKHOUSE_URL) cfg.storage.clickhouse_url = env.CLICKHOUSE_URL
  if (env.CLICKHOUSE_USER) cfg.storage.username = env.CLICKHOUSE_USER
  if (env.CLICKHOUSE_PASSWORD) cfg.storage.password = env.CLICKHOUSE_PASSWORD
  if (env.TRACEGATE_DATA_DIR) cfg.storage.data_dir = env.TRACEGATE_DATA_DIR
  const otlp =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ||
    (env.OTEL_EXPORTER_OTLP_ENDPOINT && `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`)
  if (otlp) cfg.otlp = { endpoint: otlp, headers: cfg.otlp?.headers ?? {} }
  if (env.LOG_LEVEL) cfg.log_level = env.LOG_LEVEL as Config['log_level']
  // Checked once the environment has had its say: CLICKHOUSE_URL is what usually names the server.
  if (cfg.storage.cluster && !cfg.storage.clickhouse_url) {
    throw new ConfigError([
      'storage.cluster: a cluster needs a ClickHouse server (storage.clickhouse_url or CLICKHOUSE_URL); the embedded engine is one process on one machine',
    ])
  }
  if (!Number.isInteger(cfg.server.port) || cfg.server.port < 0 || cfg.server.port > 65535) {
    throw new ConfigError([`PORT: "${env.PORT}" is not a valid port`])
  }
  return cfg
}

/** Which file to read: `--config PATH`, else TRACEGATE_CONFIG, else ./tracegate.yaml if present. */
export function configPath(argv: string[], env: NodeJS.ProcessEnv): string | undefined {
  const i = argv.indexOf('--config')
  if (i >= 0) return argv[i + 1]
  const eq = argv.find((a) => a.startsWith('--config='))
  if (eq) return eq.slice('--config='.length)
  if (env.TRACEGATE_CONFIG) return env.TRACEGATE_CONFIG
  return existsSync('tracegate.yaml') ? 'tracegate.yaml' : undefined
}

export function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Config {
  if (!path) return parseConfig({}, env)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new ConfigError([`${path}: cannot read config file (${(err as NodeJS.ErrnoException).code ?? 'error'})`])
  }
  let raw: unknown
  try {
    raw = parseYaml(text)
  } catch (err) {
    throw new ConfigError([`${path}: invalid YAML: ${(err as Error).message.split('\n')[0]}`])
  }
  return parseConfig(raw, env)
}
