import { GatewayError } from '../errors.ts'
import type { ParsedRequestBody, RequestFacts } from './types.ts'

/** Longer model names are refused: a model name is copied into several columns of every span. */
export const MAX_MODEL_LENGTH = 256

/**
 * Model names are printable ASCII: every provider's are, and the name is echoed in the
 * x-tracegate-model response header, where other characters are not allowed.
 */
export const problemWithModel = (model: string): string | null =>
  model.length > MAX_MODEL_LENGTH
    ? `must be at most ${MAX_MODEL_LENGTH} characters, got ${model.length}`
    : /^[\x20-\x7e]*$/.test(model)
      ? null
      : 'may hold printable ASCII characters only'

function checkModel(model: string): string {
  const problem = problemWithModel(model)
  if (problem) throw new GatewayError('invalid_request', `model ${problem}`, 'model')
  return model
}

const facts = (
  body: ParsedRequestBody | undefined,
  model: string,
  stream = body?.json?.stream === true,
): RequestFacts => ({
  model: checkModel(model),
  stream,
  clientAskedUsage: body?.json?.stream_options?.include_usage === true,
  json: body?.json,
})

/** A JSON object naming its model: what every `/v1` route takes. */
export function jsonRequest(body: ParsedRequestBody | undefined): RequestFacts {
  if (!body) throw new GatewayError('invalid_json', 'request body must be a JSON object')
  if (body.jsonError !== null)
    throw new GatewayError('invalid_json', `request body is not valid JSON: ${body.jsonError}`)
  if (!body.json || typeof body.json !== 'object' || Array.isArray(body.json)) {
    throw new GatewayError('invalid_json', 'request body must be a JSON object')
  }
  const model = body.json.model
  if (typeof model !== 'string' || !model)
    throw new GatewayError('invalid_request', 'you must provide a model parameter', 'model')
  return facts(body, model)
}

/** Whatever a raw route forwards: the model if the body names one (or the path does), never required. */
export function anyRequest(
  body: ParsedRequestBody | undefined,
  pathModel?: string,
  pathStreams?: boolean,
): RequestFacts {
  const model = pathModel ?? (typeof body?.json?.model === 'string' ? body.json.model : '')
  return facts(body, model, pathStreams)
}
