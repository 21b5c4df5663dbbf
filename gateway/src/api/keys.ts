import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { KeyPatchSchema, KeySpecSchema, TeamPatchSchema, TeamSpecSchema } from '@tracegate/schemas'
import type { KeyDirectory } from '../keys/directory.ts'
import { GatewayError, invalidInput } from '../errors.ts'
import { adminGuard } from './admin-auth.ts'
import { fromStore } from './storage-errors.ts'

/** A key or team is a few hundred bytes; nothing bigger needs to reach the parser. */
const BODY_LIMIT = 16 * 1024
const IdSchema = z.string().regex(/^[ck][0-9a-f]{15}$/, 'a key id is c or k and 15 hex digits')
const TeamNameSchema = z.string().min(1).max(100)

function body<T>(req: FastifyRequest, schema: z.ZodType<T>): T {
  const b = req.body as { json?: unknown; jsonError?: string | null } | undefined
  if (b?.jsonError) throw new GatewayError('invalid_json', `request body is not valid JSON: ${b.jsonError}`)
  const parsed = schema.safeParse(b?.json)
  if (!parsed.success) throw invalidInput(parsed.error.issues, 'body')
  return parsed.data
}

function param<T>(req: FastifyRequest, name: string, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse((req.params as Record<string, string>)[name])
  if (!parsed.success)
    throw invalidInput(
      parsed.error.issues.map((i) => ({ ...i, path: [name] })),
      'path',
    )
  return parsed.data
}

/**
 * `/api/keys` and `/api/teams` (admin token): gateway keys and teams made, changed, rotated and
 * revoked without a restart; the config's own are listed read-only. A key's secret is in the
 * answer that makes or rotates it, and nowhere else, ever.
 */
export async function keysApi(
  app: FastifyInstance,
  opts: { directory: KeyDirectory; adminToken: string | undefined },
): Promise<void> {
  const { directory } = opts
  app.addHook('onRequest', adminGuard(opts.adminToken))

  app.get('/api/keys', async () => ({ keys: directory.listKeys() }))
  app.get('/api/keys/:id', async (req) => {
    const id = param(req, 'id', IdSchema)
    const key = directory.keyById(id)
    if (!key) throw new GatewayError('not_found', `no key with id "${id}"`)
    return key
  })
  app.post('/api/keys', { bodyLimit: BODY_LIMIT }, async (req, reply) =>
    reply.code(201).send(await fromStore(req, directory.createKey(body(req, KeySpecSchema)))),
  )
  app.patch('/api/keys/:id', { bodyLimit: BODY_LIMIT }, async (req) => {
    const id = param(req, 'id', IdSchema)
    return fromStore(req, directory.updateKey(id, body(req, KeyPatchSchema)))
  })
  app.post('/api/keys/:id/rotate', async (req) => fromStore(req, directory.rotateKey(param(req, 'id', IdSchema))))
  app.delete('/api/keys/:id', async (req) => {
    const id = param(req, 'id', IdSchema)
    await fromStore(req, directory.revokeKey(id))
    return { id, revoked: true }
  })

  app.get('/api/teams', async () => ({ teams: directory.listTeams() }))
  app.get('/api/teams/:name', async (req) => {
    const name = param(req, 'name', TeamNameSchema)
    const team = directory.team(name)
    if (!team) throw new GatewayError('not_found', `no team named "${name}"`)
    return team
  })
  app.post('/api/teams', { bodyLimit: BODY_LIMIT }, async (req, reply) =>
    reply.code(201).send(await fromStore(req, directory.createTeam(body(req, TeamSpecSchema)))),
  )
  app.patch('/api/teams/:name', { bodyLimit: BODY_LIMIT }, async (req) => {
    const name = param(req, 'name', TeamNameSchema)
    return fromStore(req, directory.updateTeam(name, body(req, TeamPatchSchema)))
  })
  app.delete('/api/teams/:name', async (req) => {
    const name = param(req, 'name', TeamNameSchema)
    await fromStore(req, directory.deleteTeam(name))
    return { name, deleted: true }
  })
}
