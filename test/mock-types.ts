import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Json } from '../gateway/src/wires/sse.ts'

export interface MockCall {
  method: string
  path: string
  /** Path with query string. */
  url: string
  headers: IncomingMessage['headers']
  body: string
  json: Json
  /** Usage the mock reported, in the provider's own field names. */
  usage: Record<string, number> | null
  /** When the mock wrote its last byte. */
  finishedAt: number
  /** When the connection closed before the response was complete (client went away), else 0. */
  abortedAt: number
  /** The fault applied to this call, if any. */
  fault: Fault | null
}

/**
 * A scripted failure for calls whose model (or path) matches. `times` calls get it, then the
 * mock answers normally again.
 */
export interface Fault {
  model?: string
  pathPrefix?: string
  times?: number
  status?: number
  retryAfter?: string
  /** Destroy the connection without answering. */
  reset?: boolean
  delayHeadersMs?: number
  chunkDelayMs?: number
  /** Streams: headers go out at once, the first event only after this long. */
  firstChunkDelayMs?: number
  /** Streams: the envelope events (role chunk, response.created, message_start) go out at once, the first output token after this long. */
  tokenDelayMs?: number
  /** Streams: cut the connection after this many content chunks. */
  cutAfterChunks?: number
  /** Error body override (e.g. a context-length error). */
  body?: unknown
  /** Answer with exactly this (a provider's documented response, byte for byte) instead of the mock's own. */
  reply?: ScriptedReply
}

export interface ScriptedReply {
  status?: number
  contentType: string
  body: string
  /** Write the body in pieces of this many bytes, yielding between them (1 KB network writes). */
  chunkBytes?: number
}

export interface HandlerOptions {
  /** Chat streams: this many content chunks instead of the six words (`x-mock-chunks`), for per-chunk benchmarks. */
  chunks: number
  delay: number
  cutAfter: number
  firstDelay: number
  tokenDelay: number
}
export type Handler = (call: MockCall, res: ServerResponse, opts: HandlerOptions) => Promise<void>
