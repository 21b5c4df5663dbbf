import { createHash } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { Config } from '@tracegate/schemas'
import { GatewayError } from '../errors.ts'

export interface KeyIdentity {
  /** Gateway key name, or for a bring-your-own key `sha256:<12 hex>…<last 4>`; '' when none was sent. */
  keyName: string
  team: string
  /** The client's own provider key to forward; undefined means use the provider key from config. */
  forwardKey: string | undefined
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

/** The key a client presented, whichever SDK sent it. */
export function presentedKey(h: IncomingHttpHeaders): string | undefined {
  const auth = h.authorization
  if (auth && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') return auth.slice(7).trim() || undefined
  const x = h['x-api-key'] ?? h['api-key']
  return typeof x === 'string' && x ? x : undefined
}

/** Never stored or logged in full: a hash prefix to group by and the last 4 to recognise it. */
export function byoKeyName(key: string): string {
  return `sha256:${sha256(key).slice(0, 12)}…${key.slice(-4)}`
}

export class KeyAuthenticator {
  /** sha256(gateway key) → identity, so the plaintext keys are not kept after start-up. */
  private readonly gatewayKeys: Map<string, { name: string; team: string }>

  constructor(config: Config) {
    this.gatewayKeys = new Map(config.keys.map((k) => [sha256(k.key), { name: k.name, team: k.team }]))
  }

  get usesGatewayKeys(): boolean {
    return this.gatewayKeys.size > 0
  }

  authenticate(headers: IncomingHttpHeaders): KeyIdentity {
    const key = presentedKey(headers)
    if (this.gatewayKeys.size === 0) {
      return key ? { keyName: byoKeyName(key), team: '', forwardKey: key } : { keyName: '', team: '', forwardKey: undefined }
    }
    if (!key) throw new GatewayError('missing_api_key', 'a tracegate key is required: send it as "Authorization: Bearer <key>" or "x-api-key"')
    const found = this.gatewayKeys.get(sha256(key))
    if (!found) throw new GatewayError('invalid_api_key', 'the API key is not a known tracegate key')
    return { keyName: found.name, team: found.team, forwardKey: undefined }
  }
}
