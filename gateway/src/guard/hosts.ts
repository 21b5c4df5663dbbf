import type { onRequestHookHandler } from 'fastify'
import { GatewayError } from '../errors.ts'

/** 127.0.0.0/8, ::1, and 127.x as an IPv4-mapped IPv6 address (a dual-stack listener's view of it). */
const LOOPBACK_ADDRESS = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/

/** True for an address (a listener's or a peer's) only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  return h === 'localhost' || LOOPBACK_ADDRESS.test(h)
}

/** Host header without its port; IPv6 literals keep no brackets. */
function hostName(header: string): string {
  const h = header.trim().toLowerCase()
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined)
  const colon = h.indexOf(':')
  return colon < 0 ? h : h.slice(0, colon)
}

/** Names that always mean this machine: the loopback addresses, `localhost` and `*.localhost` (RFC 6761). */
const isLoopbackName = (name: string) => isLoopbackHost(name) || name.endsWith('.localhost')

/**
 * DNS rebinding: a web page on attacker.example re-points its name at 127.0.0.1 and then reads
 * the gateway as "same origin", prompts included. The browser still sends `Host: attacker.example`,
 * so a gateway listening on loopback answers only to loopback names and `server.allowed_hosts`
 * (421 otherwise). On another listener the check applies once `allowed_hosts` lists names.
 */
export function hostGuard(listenHost: string, allowed: string[]): onRequestHookHandler | null {
  const names = new Set(allowed.map((a) => a.toLowerCase().replace(/^\[|\]$/g, '')))
  const loopback = isLoopbackHost(listenHost)
  if (!loopback && !names.size) return null
  // Clients send the same Host on every request: remember the last one that passed.
  let lastAllowed = ''
  // A callback hook, not an async one: it runs on every request, and a promise each time is not free.
  return (req, _reply, done) => {
    const header = req.headers.host
    if (header === undefined || header === lastAllowed) return done()
    const name = hostName(header)
    if (!names.has(name) && !(loopback && isLoopbackName(name))) {
      return done(
        new GatewayError(
          'misdirected_request',
          `this gateway does not answer to host "${name.slice(0, 100)}": add it to server.allowed_hosts`,
        ),
      )
    }
    lastAllowed = header
    done()
  }
}
