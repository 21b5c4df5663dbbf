import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { Store } from '../storage/client.ts'
import { GatewayError } from '../errors.ts'
import { setClockSkew } from '../clock.ts'
import { adminGuard, loopbackOnly } from './admin-auth.ts'

const FaultSchema = z.union([
  z.object({ storage: z.enum(['detached', 'attached']) }).strict(),
  // Bounded to a year either way: enough to replay any incident, not enough to overflow a timestamp.
  z.object({ clock_skew_ms: z.number().int().min(-31_536_000_000).max(31_536_000_000) }).strict(),
])

/**
 * Fault injection for soak runs and tests, registered only when TRACEGATE_FAULTS=1: the embedded
 * engine lives inside the gateway process, so a storage outage can only be staged from in here; a
 * clock skew replays minutes of span time (incidents, alerts) in seconds. It takes
 * storage away, so it needs the admin token and a peer on this machine; with no admin token
 * configured it is not offered at all.
 */
export async function faultsApi(
  app: FastifyInstance,
  opts: { store: Store; adminToken: string | undefined },
): Promise<void> {
  if (!opts.adminToken) {
    app.log.warn(
      'TRACEGATE_FAULTS=1 is ignored: /debug/faults can detach storage, so it needs TRACEGATE_ADMIN_TOKEN to be set',
    )
    return
  }
  app.addHook('onRequest', loopbackOnly)
  app.addHook('onRequest', adminGuard(opts.adminToken))
  app.post('/debug/faults', async (req) => {
    const parsed = FaultSchema.safeParse((req.body as { json?: unknown } | undefined)?.json)
    if (!parsed.success)
      throw new GatewayError(
        'invalid_request',
        'expected {"storage":"detached"|"attached"} or {"clock_skew_ms": integer within a year}',
      )
    if ('clock_skew_ms' in parsed.data) {
      setClockSkew(parsed.data.clock_skew_ms)
      return { clock_skew_ms: parsed.data.clock_skew_ms }
    }
    const verb = parsed.data.storage === 'detached' ? 'DETACH' : 'ATTACH'
    await opts.store.client.command({ query: `${verb} TABLE ${opts.store.database}.spans` })
    return { storage: parsed.data.storage }
  })
}
