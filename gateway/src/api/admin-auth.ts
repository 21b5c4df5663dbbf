import { timingSafeEqual, createHash } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { GatewayError } from '../errors.ts'

const digest = (s: string) => createHash('sha256').update(s).digest()

/** When TRACEGATE_ADMIN_TOKEN is set, the explorer API needs `Authorization: Bearer <token>`. */
export function adminGuard(token: string | undefined) {
  const expected = token ? digest(token) : null
  return async (req: FastifyRequest) => {
    if (!expected) return
    const auth = req.headers.authorization ?? ''
    const given = auth.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : ''
    if (!given || !timingSafeEqual(digest(given), expected)) {
      throw new GatewayError('admin_token_required', 'this API needs the admin token: Authorization: Bearer <TRACEGATE_ADMIN_TOKEN>')
    }
  }
}
