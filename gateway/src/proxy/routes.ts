import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ProviderAdapter } from '../providers/types.ts'
import { joinPath } from '../providers/paths.ts'
import { GatewayError } from '../errors.ts'
import type { WireFormat } from '../wires/types.ts'
import type { Target } from '../routing/resolve.ts'
import { openaiChat } from '../wires/openai-chat.ts'
import { openaiCompletions } from '../wires/openai-completions.ts'
import { openaiEmbeddings } from '../wires/openai-embeddings.ts'
import { openaiResponses } from '../wires/openai-responses.ts'
import { anthropicCountTokens, anthropicMessages } from '../wires/anthropic-messages.ts'
import { rawWire } from '../wires/raw.ts'
import { handleProxy, recordRefusal, type ProxyDeps, type RouteSpec } from './handler.ts'
import { listModels } from './models.ts'
import { rawTarget, RAW_METHODS } from './raw-path.ts'
import { takeKeyParam } from '../secrets.ts'

/** The OpenAI-compatible routes: each its own wire format, at the same path under each provider's base. */
const OPENAI_ROUTES: Array<[string, WireFormat]> = [
  ['/v1/chat/completions', openaiChat],
  ['/v1/completions', openaiCompletions],
  ['/v1/embeddings', openaiEmbeddings],
  ['/v1/responses', openaiResponses],
]

/** Upstream path per provider, computed once: the join never changes for a given adapter. */
function pathCache(suffix: string) {
  const cache = new Map<ProviderAdapter, string>()
  return (base: string, a: ProviderAdapter) => {
    let path = cache.get(a)
    if (path === undefined) cache.set(a, (path = joinPath(base, suffix) + a.query))
    return path
  }
}

function openaiSpec(deps: ProxyDeps, route: string, wire: WireFormat): RouteSpec {
  const path = pathCache(route.slice('/v1'.length))
  return {
    route,
    wire,
    plan: (model) => deps.router.resolve(model, deps.config.default_provider),
    upstream: (a) => ({ origin: a.openai.origin, path: path(a.openai.path, a) }),
  }
}

const speaksAnthropic = (t: Target) => t.adapter.type === 'anthropic'

/** `/v1/messages` and `/v1/messages/count_tokens`: Anthropic's wire, so every target must speak it. */
function messagesSpec(deps: ProxyDeps, route: string, wire: WireFormat): RouteSpec {
  const path = pathCache(route)
  return {
    route,
    wire,
    plan: (model) => deps.router.resolve(model, 'anthropic'),
    serves: speaksAnthropic,
    check: (plan) => {
      const wrong = plan.targets.find((t) => !speaksAnthropic(t))
      if (wrong)
        throw new GatewayError(
          'unsupported_route_for_provider',
          `${route} speaks the Anthropic wire format, but target "${wrong.adapter.name}/${wrong.model}" is provider "${wrong.adapter.name}" (${wrong.adapter.type}); use /v1/chat/completions`,
          'model',
        )
    },
    upstream: (a) => ({ origin: a.native.origin, path: path(a.native.path, a) }),
  }
}

function rawSpec(deps: ProxyDeps, provider: ProviderAdapter, req: FastifyRequest): RouteSpec {
  const { rest, query } = rawTarget(req.url)
  const { key: queryKey, rest: forwardQuery } = takeKeyParam(query)
  const path = joinPath(provider.native.path, rest) + forwardQuery
  return {
    route: '/p/{provider}/*',
    wire: rawWire(provider.type, rest),
    queryKey,
    plan: (model) => deps.router.direct(provider.name, model),
    check: (plan) => {
      // The path is the provider's own; sending it to another provider would be meaningless.
      if (plan.targets.length > 1)
        throw new GatewayError(
          'invalid_header',
          'x-tracegate-fallbacks is not available on /p/{provider}/ routes: use /v1/*',
          'x-tracegate-fallbacks',
        )
    },
    upstream: (a) => ({ origin: a.native.origin, path }),
  }
}

/** 405 for a method the raw route does not forward, naming the ones it does. */
export function rawMethodNotAllowed(reply: FastifyReply, method: string): GatewayError {
  const allowed = [...RAW_METHODS].join(', ')
  void reply.header('allow', allowed)
  return new GatewayError(
    'method_not_allowed',
    `${method.slice(0, 20)} is not forwarded; /p/{provider}/ takes ${allowed}`,
  )
}

/** Client-facing LLM routes (DESIGN.md wire contract) as one Fastify plugin. */
export async function proxyRoutes(
  app: FastifyInstance,
  deps: ProxyDeps & { providers: { get(name: string): ProviderAdapter | undefined } },
): Promise<void> {
  const specs = new Map<string, RouteSpec>()
  for (const [route, wire] of OPENAI_ROUTES) specs.set(route, openaiSpec(deps, route, wire))
  specs.set('/v1/messages', messagesSpec(deps, '/v1/messages', anthropicMessages))
  specs.set('/v1/messages/count_tokens', messagesSpec(deps, '/v1/messages/count_tokens', anthropicCountTokens))
  for (const [route, spec] of specs)
    app.post(route, { config: { json: true } }, (req, reply) => handleProxy(deps, spec, req, reply))
  // Requests refused before a handler runs (body too large, wrong content type) are recorded too.
  app.setErrorHandler((err, req, reply) => recordRefusal(deps, specs.get(req.routeOptions.url ?? ''), req, reply, err))

  app.get('/v1/models', async (req) => {
    const identity = deps.keys.authenticate(req.headers)
    const provider = deps.providers.get(deps.config.default_provider)
    return listModels(deps.router, provider, provider && deps.keys.providerKey(identity, provider.configKey, true))
  })
  app.all('/p/:provider/*', (req, reply) => {
    if (!RAW_METHODS.has(req.method)) throw rawMethodNotAllowed(reply, req.method)
    const { provider: name } = req.params as { provider: string }
    const provider = deps.providers.get(name)
    if (!provider) throw new GatewayError('unknown_provider', `unknown provider "${name.slice(0, 100)}"`)
    return handleProxy(deps, rawSpec(deps, provider, req), req, reply)
  })
}
