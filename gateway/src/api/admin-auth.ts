import type { FastifyRequest } from 'fastify'
import { GatewayError } from '../errors.ts'
import { isLoopbackHost } from '../guard/hosts.ts'
import { tokenMatcher } from '../secrets.ts'

/** When TRACEGATE_ADMIN_TOKEN is set, the explorer API needs `Authorization: Bearer <token>`. */
export function adminGuard(token: string | undefined) {
  const matches = token ? tokenMatcher(token) : null
  return async (req: FastifyRequest) => {
    if (!matches) return
    const auth = req.headers.authorization ?? ''
    const given = auth.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : ''
    if (!matches(given)) {
      throw new GatewayError(
        'admin_token_required',
        'this API needs the admin token: Authorization: Bearer <TRACEGATE_ADMIN_TOKEN>',
      )
    }
  }
}

/**
 * Only a peer on this machine: for endpoints that change the gateway itself, where a leaked admin
 * token alone must not be enough from the network. A reverse proxy on this host is itself such a
 * peer, so put none in front of these.
 */
export async function loopbackOnly(req: FastifyRequest): Promise<void> {
  const peer = req.socket.remoteAddress ?? ''
  if (peer === 'localhost' || !isLoopbackHost(peer)) {
    throw new GatewayError(
      'loopback_only',
      'this endpoint only answers requests from this machine (a loopback address)',
    )
  }
}
