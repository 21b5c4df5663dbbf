import { isUtf8 } from 'node:buffer'
import type { FastifyRequest } from 'fastify'

/** The body as received (forwarded byte for byte) and, when it is JSON, its parsed form. */
export interface ParsedBody {
  raw: Buffer
  json: any
  jsonError: string | null
}

/**
 * One parser for every content type: keep the bytes, parse JSON on the side. A body that is
 * not valid JSON is only an error on routes that need JSON; the raw route forwards it as is.
 */
export function parseBody(req: FastifyRequest, raw: Buffer, done: (err: Error | null, body?: ParsedBody) => void): void {
  const type = req.headers['content-type'] ?? ''
  if (!type.includes('json')) return done(null, { raw, json: undefined, jsonError: null })
  if (!isUtf8(raw)) return done(null, { raw, json: undefined, jsonError: 'the body is not valid UTF-8' })
  try {
    done(null, { raw, json: JSON.parse(raw.toString('utf8')), jsonError: null })
  } catch (err) {
    done(null, { raw, json: undefined, jsonError: (err as Error).message })
  }
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

const PARAMS = ['temperature', 'top_p', 'top_k', 'max_tokens', 'max_completion_tokens', 'max_output_tokens', 'frequency_penalty', 'presence_penalty', 'seed', 'n'] as const

/** Numeric sampling parameters, recorded as gen_ai.request.* attributes. */
export function requestParams(json: any): Record<string, number> {
  const out: Record<string, number> = {}
  if (!json || typeof json !== 'object') return out
  for (const k of PARAMS) if (typeof json[k] === 'number') out[k] = json[k]
  return out
}
