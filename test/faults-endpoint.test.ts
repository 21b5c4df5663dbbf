import { describe, expect, it } from 'vitest'
import { networkInterfaces } from 'node:os'
import { errorOf, useGateway, useSpawnedGateway } from './harness.ts'

/**
 * /debug/faults detaches the spans table: with TRACEGATE_FAULTS=1 it must still need the admin
 * token, and only answer a peer on this machine, even when the gateway listens on every interface.
 */
const TOKEN = 'faults-admin-token'
const env = useGateway(
  (mock) => ({ server: { host: '0.0.0.0', port: 0 }, providers: { openai: { base_url: `${mock.url}/v1` } } }),
  { adminToken: TOKEN, faults: true },
)
const port = () => Number(new URL(env.url).port)

/** This machine's first non-loopback IPv4 address: a peer that is not local to the gateway. */
function externalIPv4(): string {
  const found = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)
  if (!found) throw new Error('this machine has no non-loopback IPv4 address to test from')
  return found.address
}

const fault = (host: string, storage: string | object, token?: string) =>
  fetch(`http://${host}:${port()}/debug/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(typeof storage === 'string' ? { storage } : storage),
  })

describe('fault injection endpoint', () => {
  it('needs the admin token from loopback: 401 without it or with a wrong one, 200 with it', async () => {
    const none = await fault('127.0.0.1', 'detached')
    expect(none.status).toBe(401)
    expect((await errorOf(none)).code).toBe('admin_token_required')
    expect((await fault('127.0.0.1', 'detached', 'wrong-token')).status).toBe(401)
    const tables = async () =>
      (
        await (
          await env.gw.store.client.query({
            query: `SHOW TABLES FROM ${env.gw.store.database} LIKE 'spans'`,
            format: 'JSONEachRow',
          })
        ).json()
      ).length
    expect(await tables()).toBe(1)

    const detached = await fault('127.0.0.1', 'detached', TOKEN)
    expect(detached.status).toBe(200)
    expect(await detached.json()).toEqual({ storage: 'detached' })
    expect(await tables()).toBe(0)
    expect((await fault('127.0.0.1', 'attached', TOKEN)).status).toBe(200)
    expect(await tables()).toBe(1)
  })

  it('a clock skew stamps spans that much earlier, so a test replays minutes of span time; out of bounds is a 400', async () => {
    const skew = -2 * 3_600_000
    const set = await fault('127.0.0.1', { clock_skew_ms: skew }, TOKEN)
    expect(await set.json()).toEqual({ clock_skew_ms: skew })
    const before = Date.now()
    const trace = await env.trace(await env.chat('gpt-4o'))
    expect((await fault('127.0.0.1', { clock_skew_ms: 0 }, TOKEN)).status).toBe(200)
    const start = Date.parse(trace.spans.find((s) => s.kind === 'server')!.start_time)
    expect(start - before).toBeGreaterThan(skew - 1_000)
    expect(start - before).toBeLessThan(skew + 5_000)
    const tooFar = await fault('127.0.0.1', { clock_skew_ms: 400 * 86_400_000 }, TOKEN)
    expect(tooFar.status).toBe(400)
    expect((await errorOf(tooFar)).message).toContain('clock_skew_ms')
  })

  it('refuses a peer that is not on loopback with 403, even with the token', async () => {
    const res = await fault(externalIPv4(), 'detached', TOKEN)
    expect(res.status).toBe(403)
    const error = await errorOf(res)
    expect(error.code).toBe('loopback_only')
    expect(error.type).toBe('permission_error')
    expect((await fault(externalIPv4(), 'detached')).status).toBe(403)
  })
})

describe('fault injection without an admin token', () => {
  const spawned = useSpawnedGateway((mock) => ({ providers: { openai: { base_url: `${mock.url}/v1` } } }), {
    faults: true,
  })

  it('is not registered at all, and the gateway logs why', async () => {
    const res = await spawned.post('/debug/faults', { storage: 'detached' })
    expect(res.status).toBe(404)
    expect((await errorOf(res)).code).toBe('not_found')
    expect(spawned.proc.out()).toMatch(/TRACEGATE_FAULTS=1 is ignored.*TRACEGATE_ADMIN_TOKEN/)
  })
})
