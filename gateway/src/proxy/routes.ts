import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Operation, ProviderAdapter, Wire } from '../providers/types.ts'
import type { StreamFormat } from '../providers/first-token.ts'
import { joinPath } from '../providers/paths.ts'
import { GatewayError } from '../errors.ts'
import { problemWithModel } from '../routing/resolve.ts'
import { handleProxy, recordRefusal, type ProxyDeps, type RouteSpec } from './handler.ts'
import type { ParsedBody } from './request-body.ts'
import { listModels } from './models.ts'
import { rawTarget, RAW_METHODS } from './raw-path.ts'
import { safeDecode, takeKeyParam } from '../secrets.ts'

function checkModel(model: string): string {
  const problem = problemWithModel(model)
  if (problem) throw new GatewayError('invalid_request', `model ${problem}`, 'model')
  return model
}

function requireModel(body: ParsedBody | undefined): string {
  if (!body) throw new GatewayError('invalid_json', 'request body must be a JSON object')
  if (body.jsonError !== null)
    throw new GatewayError('invalid_json', `request body is not valid JSON: ${body.jsonError}`)
  if (!body.json || typeof body.json !== 'object' || Array.isArray(body.json))
    throw new GatewayError('invalid_json', 'request body must be a JSON object')
  const model = body.json.model
  if (typeof model !== 'string' || !model)
    throw new GatewayError('invalid_request', 'you must provide a model parameter', 'model')
  return checkModel(model)
}

/** The OpenAI-compatible routes: same wire, different operation and path suffix. */
const OPENAI_ROUTES: Array<[string, Operation, StreamFormat | undefined]> = [
  ['/v1/chat/completions', 'chat', 'openai-chat'],
  ['/v1/completions', 'text_completion', 'openai-completions'],
  ['/v1/embeddings', 'embeddings', undefined],
  ['/v1/responses', 'responses', 'openai-responses'],
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

function openaiSpec(
  deps: ProxyDeps,
  route: string,
  operation: Operation,
  firstToken: StreamFormat | undefined,
): RouteSpec {
  const path = pathCache(route.slice('/v1'.length))
  return {
    route,
    wire: 'openai',
    operation,
    firstToken,
    model: requireModel,
    plan: (model) => deps.router.resolve(model, deps.config.default_provider),
    upstream: (a) => ({ origin: a.openai.origin, path: path(a.openai.path, a) }),
  }
}

/** `/v1/messages` and `/v1/messages/count_tokens`: Anthropic's wire, so every target must speak it. */
function messagesSpec(deps: ProxyDeps, route: string, operation: Operation): RouteSpec {
  const path = pathCache(route)
  return {
    route,
    wire: 'anthropic',
    operation,
    firstToken: 'anthropic-messages',
    model: requireModel,
    plan: (model) => deps.router.resolve(model, 'anthropic'),
    check: (plan) => {
      const wrong = plan.targets.find((t) => t.adapter.type !== 'anthropic')
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

/** Operation of a raw `/p/{provider}/…` request, from the path's ending. */
function rawOperation(rest: string): Operation {
  if (rest.endsWith('count_tokens')) return 'count_tokens'
  if (rest.endsWith('chat/completions') || rest.endsWith('messages')) return 'chat'
  if (rest.endsWith('completions')) return 'text_completion'
  if (rest.endsWith('embeddings')) return 'embeddings'
  if (rest.endsWith('responses')) return 'responses'
  if (rest.endsWith('models')) return 'models'
  return 'other'
}

/** The token stream a raw path answers with, judged from the path like its operation. */
function rawStreamFormat(wire: Wire, operation: Operation, rest: string): StreamFormat | undefined {
  if (/:streamGenerateContent$/.test(rest)) return 'gemini'
  if (operation === 'chat') return wire === 'anthropic' ? 'anthropic-messages' : 'openai-chat'
  if (operation === 'text_completion') return 'openai-completions'
  if (operation === 'responses') return 'openai-responses'
  return undefined
}

/** Gemini's native API names the model in the path: `v1beta/models/{model}:{method}`. */
const GEMINI_NATIVE =
  /^v1(?:beta|alpha)?\/(?:tunedModels|models)\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/

/** Wire format, operation and model of a Gemini native path, when it is one. */
function geminiNative(rest: string): { operation: Operation; model: string; stream: boolean } | null {
  const m = GEMINI_NATIVE.exec(rest)
  if (!m) return null
  const model = safeDecode(m[1]!)
  return {
    operation: m[2] === 'countTokens' ? 'count_tokens' : 'generate_content',
    model,
    stream: m[2] === 'streamGenerateContent',
  }
}

function rawSpec(deps: ProxyDeps, provider: ProviderAdapter, req: FastifyRequest): RouteSpec {
  const { rest, query } = rawTarget(req.url)
  const { key: queryKey, rest: forwardQuery } = takeKeyParam(query)
  const path = joinPath(provider.native.path, rest) + forwardQuery
  const gemini = geminiNative(rest)
  const wire: Wire = gemini
    ? 'gemini'
    : provider.type === 'anthropic' && /messages(\/count_tokens)?$/.test(rest)
      ? 'anthropic'
      : 'openai'
  const operation = gemini?.operation ?? rawOperation(rest)
  return {
    route: '/p/{provider}/*',
    wire,
    operation,
    firstToken: rawStreamFormat(wire, operation, rest),
    queryKey,
    stream: gemini?.stream,
    model: (body) => checkModel(gemini?.model ?? (typeof body?.json?.model === 'string' ? body.json.model : '')),
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
  for (const [route, op, format] of OPENAI_ROUTES) specs.set(route, openaiSpec(deps, route, op, format))
  specs.set('/v1/messages', messagesSpec(deps, '/v1/messages', 'chat'))
  specs.set('/v1/messages/count_tokens', messagesSpec(deps, '/v1/messages/count_tokens', 'count_tokens'))
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
