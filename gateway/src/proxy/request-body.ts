import { isUtf8 } from 'node:buffer'
import type { FastifyRequest } from 'fastify'
import { GatewayError } from '../errors.ts'
import type { Json } from '../wires/sse.ts'
import type { ParsedRequestBody } from '../wires/types.ts'

/** The body as received (forwarded byte for byte) and, when it is JSON, its parsed form: what the wire formats read. */
export type ParsedBody = ParsedRequestBody

/** Deeper JSON is refused: nothing an LLM API takes nests this far, and deep trees cost stack later. */
export const MAX_JSON_DEPTH = 64

/** Routes that take only JSON mark themselves with `config: { json: true }`. */
declare module 'fastify' {
  interface FastifyContextConfig {
    json?: boolean
  }
}

const mediaType = (type: string) => type.split(';', 1)[0]!.trim().toLowerCase()

/**
 * One parser for every content type: keep the bytes, parse JSON on the side. JSON routes take
 * only `application/json`: `text/plain` (or `text/plain;charset=json`) is what a web page can
 * send cross-site without a preflight, so it gets a 415. A body that is not valid JSON is an
 * error only on routes that need JSON; the raw route forwards it as is.
 */
export function parseBody(
  req: FastifyRequest,
  raw: Buffer,
  done: (err: Error | null, body?: ParsedBody) => void,
): void {
  const type = mediaType(req.headers['content-type'] ?? '')
  if (req.routeOptions.config.json && type !== 'application/json') {
    return done(
      new GatewayError(
        'unsupported_media_type',
        `content-type must be application/json, got "${type.slice(0, 100) || '(none)'}"`,
      ),
    )
  }
  if (type !== 'application/json' && !type.endsWith('+json'))
    return done(null, { raw, json: undefined, jsonError: null })
  if (!isUtf8(raw)) return done(null, { raw, json: undefined, jsonError: 'the body is not valid UTF-8' })
  let json: unknown
  try {
    json = JSON.parse(raw.toString('utf8'))
  } catch (err) {
    return done(null, { raw, json: undefined, jsonError: (err as Error).message })
  }
  if (tooDeep(json))
    return done(null, { raw, json: undefined, jsonError: `it nests deeper than ${MAX_JSON_DEPTH} levels` })
  done(null, { raw, json, jsonError: null })
}

/**
 * True when objects and arrays nest deeper than `MAX_JSON_DEPTH`. Walks the parsed value, not the
 * bytes: an ordinary body is a few dozen nodes however long its strings are, and the recursion
 * stops at the limit, so a hostile body cannot overflow the stack here.
 */
export function tooDeep(v: unknown, depth = 1): boolean {
  if (typeof v !== 'object' || v === null) return false
  if (depth > MAX_JSON_DEPTH) return true
  if (Array.isArray(v)) {
    for (const x of v) if (typeof x === 'object' && tooDeep(x, depth + 1)) return true
    return false
  }
  for (const k in v) if (tooDeep((v as Record<string, unknown>)[k], depth + 1)) return true
  return false
}

const USAGE_OPTION = Buffer.from(',"stream_options":{"include_usage":true}}')

/**
 * The bytes to send upstream. Unchanged unless an alias renames the model or we must ask for
 * streamed usage; adding `stream_options` alone is spliced in without re-serialising.
 */
export function upstreamBody(body: ParsedBody, rewriteModel: string | undefined, askUsage: boolean): Buffer {
  if (!rewriteModel && !askUsage) return body.raw
  if (!rewriteModel && askUsage && body.json.stream_options === undefined) {
    const end = body.raw.lastIndexOf(0x7d) // the object's closing brace
    return Buffer.concat([body.raw.subarray(0, end), USAGE_OPTION, body.raw.subarray(end + 1)])
  }
  const next = { ...body.json }
  if (rewriteModel) next.model = rewriteModel
  if (askUsage) next.stream_options = { ...(body.json.stream_options ?? {}), include_usage: true }
  return Buffer.from(JSON.stringify(next))
}

const PARAMS = [
  'temperature',
  'top_p',
  'top_k',
  'max_tokens',
  'max_completion_tokens',
  'max_output_tokens',
  'frequency_penalty',
  'presence_penalty',
  'seed',
  'n',
] as const

/** Numeric sampling parameters, recorded as gen_ai.request.* attributes. */
export function requestParams(json: Json): Record<string, number> {
  const out: Record<string, number> = {}
  if (!json || typeof json !== 'object') return out
  for (const k of PARAMS) if (typeof json[k] === 'number') out[k] = json[k]
  return out
}
