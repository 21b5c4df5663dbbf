import type { FastifyInstance } from 'fastify'
import { adminGuard } from './admin-auth.ts'
import { checkFacts, type CheckDeps } from '../checklist/facts.ts'

/**
 * `GET /api/check` (admin token): what `tracegate check` needs from the running gateway. The
 * providers' model lists are read here, with the operator's keys, so no key leaves the gateway.
 */
export async function checkApi(app: FastifyInstance, deps: CheckDeps): Promise<void> {
  app.addHook('onRequest', adminGuard(deps.adminToken))
  app.get('/api/check', async () => checkFacts(deps))
}
