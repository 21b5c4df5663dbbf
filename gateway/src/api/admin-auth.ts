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

/** 127.0.0.0/8, ::1, and 127.x as an IPv4-mapped IPv6 address (a dual-stack listener's view of it). */
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/

/**
 * Only a peer on this machine: for endpoints that change the gateway itself, where a leaked admin
 * token alone must not be enough from the network. A reverse proxy on this host is itself such a
 * peer, so put none in front of these.
 */
export async function loopbackOnly(req: FastifyRequest): Promise<void> {
  if (!LOOPBACK.test(req.socket.remoteAddress ?? '')) {
    throw new GatewayError('loopback_only', 'this endpoint only answers requests from this machine (a loopback address)')
  }
}
