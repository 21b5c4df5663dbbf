import type { FastifyInstance } from 'fastify'
import type { LimitsUsageResponse } from '@tracegate/schemas'
import type { Enforcer } from '../limits/enforcer.ts'
import { adminGuard } from './admin-auth.ts'

/** `GET /api/limits/usage` (admin token): every limited key, team and user, with its spend and limit use now. */
export async function limitsUsageApi(
  app: FastifyInstance,
  opts: { limits: Enforcer; adminToken: string | undefined },
): Promise<void> {
  app.addHook('onRequest', adminGuard(opts.adminToken))
  app.get('/api/limits/usage', async (): Promise<LimitsUsageResponse> => ({ scopes: await opts.limits.usage() }))
}
