import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Operation, ProviderAdapter } from '../providers/types.ts'
import { GatewayError } from '../errors.ts'
import { handleProxy, type ProxyDeps, type RouteSpec } from './handler.ts'
import type { ParsedBody } from './request-body.ts'
import { listModels } from './models.ts'

function requireModel(body: ParsedBody | undefined): string {
  if (!body) throw new GatewayError('invalid_json', 'request body must be a JSON object')
  if (body.jsonError !== null) throw new GatewayError('invalid_json', `request body is not valid JSON: ${body.jsonError}`)
  if (body.json === undefined) throw new GatewayError('invalid_json', 'request body must be JSON (content-type: application/json)')
  if (!body.json || typeof body.json !== 'object' || Array.isArray(body.json)) throw new GatewayError('invalid_json', 'request body must be a JSON object')
  const model = body.json.model
  if (typeof model !== 'string' || !model) throw new GatewayError('invalid_request', 'you must provide a model parameter', 'model')
  return model
}

const querystring = (req: FastifyRequest) => {
  const i = req.url.indexOf('?')
  return i < 0 ? '' : req.url.slice(i)
}

/** The OpenAI-compatible routes: same wire, different operation and path suffix. */
const OPENAI_ROUTES: Array<[string, Operation]> = [
  ['/v1/chat/completions', 'chat'],
  ['/v1/completions', 'text_completion'],
  ['/v1/embeddings', 'embeddings'],
  ['/v1/responses', 'responses'],
]

function openaiSpec(deps: ProxyDeps, route: string, operation: Operation): RouteSpec {
  const suffix = route.slice('/v1'.length)
  return {
    route, wire: 'openai', operation, model: requireModel,
    plan: (model) => deps.router.resolve(model, deps.config.default_provider),
    upstream: (a) => ({ origin: a.openai.origin, path: a.openai.path + suffix + a.query }),
  }
}

function messagesSpec(deps: ProxyDeps): RouteSpec {
  return {
    route: '/v1/messages', wire: 'anthropic', operation: 'chat', model: requireModel,
    plan: (model) => {
      const plan = deps.router.resolve(model, 'anthropic')
      const wrong = plan.targets.find((t) => t.adapter.type !== 'anthropic')
      if (wrong) throw new GatewayError('unsupported_route_for_provider', `/v1/messages speaks the Anthropic wire format, but model "${model}" resolves to provider "${wrong.adapter.name}"; use /v1/chat/completions`, 'model')
      return plan
    },
    upstream: (a) => ({ origin: a.native.origin, path: `${a.native.path}/v1/messages${a.query}` }),
  }
}

/** Operation of a raw `/p/{provider}/…` request, from the path's ending. */
function rawOperation(rest: string): Operation {
  if (rest.endsWith('chat/completions') || rest.endsWith('messages')) return 'chat'
  if (rest.endsWith('completions')) return 'text_completion'
  if (rest.endsWith('embeddings')) return 'embeddings'
  if (rest.endsWith('responses')) return 'responses'
  if (rest.endsWith('models')) return 'models'
  return 'other'
}

function rawSpec(deps: ProxyDeps, provider: ProviderAdapter, rest: string): RouteSpec {
  const operation = rawOperation(rest)
  return {
    route: `/p/${provider.name}/${rest}`,
    wire: provider.type === 'anthropic' && rest.endsWith('messages') ? 'anthropic' : 'openai',
    operation,
    model: (body) => (typeof body?.json?.model === 'string' ? body.json.model : ''),
    plan: (model) => deps.router.direct(provider.name, model),
    upstream: (a, req) => ({ origin: a.native.origin, path: `${a.native.path}/${rest}${querystring(req)}` }),
  }
}

/** Client-facing LLM routes (DESIGN.md wire contract) as one Fastify plugin. */
export async function proxyRoutes(app: FastifyInstance, deps: ProxyDeps & { providers: { get(name: string): ProviderAdapter | undefined } }): Promise<void> {
  for (const [route, op] of OPENAI_ROUTES) {
    const spec = openaiSpec(deps, route, op)
    app.post(route, (req, reply) => handleProxy(deps, spec, req, reply))
  }
  const messages = messagesSpec(deps)
  app.post('/v1/messages', (req, reply) => handleProxy(deps, messages, req, reply))
  app.get('/v1/models', async (req) => {
    const identity = deps.keys.authenticate(req.headers)
    const provider = deps.providers.get(deps.config.default_provider)
    return listModels(deps.router, deps.dispatcher, provider, identity.forwardKey ?? provider?.configKey)
  })
  app.all('/p/:provider/*', (req, reply) => {
    const { provider: name, '*': rest } = req.params as { provider: string; '*': string }
    const provider = deps.providers.get(name)
    if (!provider) throw new GatewayError('unknown_provider', `unknown provider "${name}"`)
    return handleProxy(deps, rawSpec(deps, provider, rest), req, reply)
  })
}
