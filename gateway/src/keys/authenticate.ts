import type { IncomingHttpHeaders } from 'node:http'
import type { Config } from '@tracegate/schemas'
import { GatewayError } from '../errors.ts'
import { sha256, type KeyDirectory } from './directory.ts'

export interface KeyIdentity {
  /** Gateway key name, or for a bring-your-own key `sha256:<12 hex>…<last 4>`; '' when none was sent. */
  keyName: string
  team: string
  user: string
  /** The client's own provider key to forward; undefined means the caller brought none. */
  forwardKey: string | undefined
  /** The caller presented a gateway key, which entitles it to the provider keys from config. */
  gateway: boolean
}

const str = (v: string | string[] | undefined) => (typeof v === 'string' && v ? v : undefined)

/**
 * The key a client presented, whichever SDK sent it: a bearer token, Anthropic's x-api-key,
 * Azure's api-key, Google's x-goog-api-key, or Google's `?key=` (raw routes pass it in `queryKey`).
 */
export function presentedKey(h: IncomingHttpHeaders, queryKey?: string): string | undefined {
  const auth = h.authorization
  if (auth && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') return auth.slice(7).trim() || undefined
  return str(h['x-api-key']) ?? str(h['api-key']) ?? str(h['x-goog-api-key']) ?? (queryKey || undefined)
}

/** Never stored or logged in full: a hash prefix to group by and the last 4 to recognise it. */
export function byoKeyName(key: string): string {
  return `sha256:${sha256(key).slice(0, 12)}…${key.slice(-4)}`
}

const ANONYMOUS: KeyIdentity = { keyName: '', team: '', user: '', forwardKey: undefined, gateway: false }

export class KeyAuthenticator {
  private readonly allowAnonymous: boolean

  /** Gateway keys come from the directory (config and API), found by hash: no plaintext key is kept. */
  constructor(
    config: Config,
    private readonly directory: KeyDirectory,
  ) {
    this.allowAnonymous = config.auth.allow_anonymous
  }

  authenticate(headers: IncomingHttpHeaders, queryKey?: string): KeyIdentity {
    const key = presentedKey(headers, queryKey)
    if (!this.directory.hasKeys) return key ? { ...ANONYMOUS, keyName: byoKeyName(key), forwardKey: key } : ANONYMOUS
    if (!key)
      throw new GatewayError(
        'missing_api_key',
        'a tracegate key is required: send it as "Authorization: Bearer <key>" or "x-api-key"',
      )
    const found = this.directory.lookup(sha256(key))
    if (!found) throw new GatewayError('invalid_api_key', 'the API key is not a known tracegate key')
    return { keyName: found.name, team: found.team, user: found.user, forwardKey: undefined, gateway: true }
  }

  /**
   * The key sent to a provider: the caller's own (only to the provider it was meant for), else the
   * configured one for a gateway-key holder (or anyone, with auth.allow_anonymous). Undefined
   * sends no key at all, and the provider answers 401 itself.
   */
  providerKey(identity: KeyIdentity, configKey: string | undefined, ownersProvider: boolean): string | undefined {
    if (identity.forwardKey) return ownersProvider ? identity.forwardKey : undefined
    return identity.gateway || this.allowAnonymous ? configKey : undefined
  }

  /** Refuse before anything is sent when a caller without a key would need the operator's keys. */
  assertMayUse(identity: KeyIdentity, targets: ReadonlyArray<{ adapter: { configKey: string | undefined } }>): void {
    if (identity.forwardKey || identity.gateway || this.allowAnonymous || !targets.some((t) => t.adapter.configKey))
      return
    throw new GatewayError(
      'missing_api_key',
      'this gateway holds provider keys and spends them only for callers with a gateway key: send your provider key or a tracegate key as "Authorization: Bearer <key>"',
    )
  }
}
