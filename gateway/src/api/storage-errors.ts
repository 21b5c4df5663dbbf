import type { FastifyRequest } from 'fastify'
import { GatewayError } from '../errors.ts'
import { classifyReadError } from '../storage/read-errors.ts'

const messageOf = (err: unknown) => String((err as Error)?.message ?? err)
/** The store's own message, by its first line: enough to act on, no stack or SQL dump. */
const reason = (err: unknown) => messageOf(err).split('\n')[0]!.trim().slice(0, 200)

/**
 * A read the span store could not answer, as the status that says whose problem it is: 400 when
 * ClickHouse could not use the request's values, 504 when the read ran out of time
 * (storage.query_timeout_ms), 503 when the store is down or broken, or its rows are not the shape
 * this gateway reads (a column renamed or of another type: storage/rows.ts). The explorer tells its user
 * which; the full message is logged.
 */
export function storageError(err: unknown): GatewayError {
  switch (classifyReadError(err)) {
    case 'input':
      return new GatewayError('invalid_request', `the span store could not use this request's values: ${reason(err)}`)
    case 'timeout':
      return new GatewayError(
        'storage_timeout',
        `the span store did not answer in time (storage.query_timeout_ms): ${reason(err)}`,
      )
    case 'unavailable':
      return new GatewayError('storage_unavailable', `the span store could not answer: ${reason(err)}`)
    case 'shape':
      return new GatewayError(
        'storage_unavailable',
        `the span store answered rows this gateway cannot read: ${reason(err)}`,
      )
  }
}

/** Await a span store read; its failure becomes storageError's answer, logged in full. */
export async function fromStore<T>(req: FastifyRequest, read: Promise<T>): Promise<T> {
  try {
    return await read
  } catch (err) {
    if (err instanceof GatewayError) throw err
    const gerr = storageError(err)
    req.log.warn({ err: { message: messageOf(err) }, code: gerr.code }, 'span store query failed')
    throw gerr
  }
}
