import type { Json } from './sse.ts'
import type { ResponseFacts } from './facts.ts'
import type { FirstTokenScanner } from './first-token.ts'
import type { Answer } from './answer.ts'

/** Operations, named as in the GenAI semantic conventions' `gen_ai.operation.name`. */
export type Operation =
  'chat' | 'text_completion' | 'embeddings' | 'responses' | 'generate_content' | 'count_tokens' | 'models' | 'other'

/** How a provider's usage differs from its wire format's norm (from the provider's adapter). */
export interface UsageQuirks {
  /** completion_tokens leaves reasoning tokens out, though they are billed as output (xAI). */
  reasoningOutsideOutput?: boolean
}

/** What one reading of a response needs to know about it. */
export interface ReadContext {
  stream: boolean
  quirks: UsageQuirks
}

/** What a request says about itself, read without changing a byte of it. */
export interface RequestFacts {
  model: string
  stream: boolean
  /** Streams: the client asked for the usage chunk itself (OpenAI's stream_options.include_usage). */
  clientAskedUsage: boolean
  /** The parsed JSON body, when there is one. */
  json: Json
}

/**
 * One wire format (OpenAI chat, Anthropic messages, Gemini's native API…): everything the
 * gateway knows about its bodies, which otherwise pass through untouched. Adding a format is
 * one file in this folder.
 */
export interface WireFormat {
  /** `gen_ai.operation.name` of requests in this format. */
  readonly operation: Operation
  /** The model and stream flag of a request; a GatewayError (400) for a request the format cannot take. */
  parseRequest(body: ParsedRequestBody | undefined): RequestFacts
  /** Streams in this format can be asked for their usage chunk (OpenAI's `stream_options.include_usage`). */
  readonly asksUsage: boolean
  /** Tokens, model and finish reasons from a captured response. */
  readResponse(text: string, ctx: ReadContext): ResponseFacts
  /** The answer's text and tools, to compare two models' answers; absent for formats without one (embeddings). */
  readAnswer?(text: string, stream: boolean): Answer | null
  /** A scanner for the first output token of a stream; null when the format has no token stream. */
  firstToken(): FirstTokenScanner | null
  /** The event that ends a stream the upstream broke, as this format's clients parse it. */
  streamError(message: string): string
}

/** The request body as the gateway received it (see proxy/request-body.ts). */
export interface ParsedRequestBody {
  raw: Buffer
  json: Json
  jsonError: string | null
}
