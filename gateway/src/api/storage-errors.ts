import type { FastifyRequest } from 'fastify'
import { GatewayError } from '../errors.ts'

/**
 * A read the span store could not answer becomes a 503 that says so, instead of a bare 500:
 * the explorer then tells its user that storage is the problem. The store's own message is
 * logged in full and shown only by its first line.
 */
export async function fromStore<T>(req: FastifyRequest, read: Promise<T>): Promise<T> {
  try {
    return await read
  } catch (err) {
    if (err instanceof GatewayError) throw err
    const message = String((err as Error)?.message ?? err)
    req.log.warn({ err: { message } }, 'span store query failed')
    throw new GatewayError('storage_unavailable', `the span store could not answer: ${message.split('\n')[0]!.slice(0, 200)}`)
  }
}
