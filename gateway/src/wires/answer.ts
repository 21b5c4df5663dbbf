import { parseSse, tryJson, type Json } from './sse.ts'

/**
 * What a model answered, reduced to what two models' answers can be compared by (shadow
 * traffic): the text of the first choice and the tools it called, in order.
 */
export interface Answer {
  text: string
  tools: string[]
}

/** Each JSON data event of a captured stream, in order; the unparseable ones (a cut edge) skipped. */
export function* sseJson(text: string): Generator<Json> {
  for (const ev of parseSse(text)) {
    const d = tryJson(ev.data)
    if (d && typeof d === 'object') yield d
  }
}

/** The body of a non-streamed response, or null when it is not a JSON object (cut by the capture). */
export function jsonBody(text: string): Json {
  const body = tryJson(text)
  return body && typeof body === 'object' ? body : null
}

export const textOf = (v: unknown): string => (typeof v === 'string' ? v : '')

/** The request asked for JSON output: chat's `response_format`, or Responses' `text.format`. */
export function asksJson(request: Json): boolean {
  const type = request?.response_format?.type ?? request?.text?.format?.type
  return type === 'json_object' || type === 'json_schema'
}
