import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { errorOf, useGateway } from './harness.ts'
import { launchBrowser } from './browser.ts'

/**
 * A gateway on a developer's laptop (loopback), attacked the way a web page in the developer's
 * browser would: simple cross-site POSTs, DNS rebinding, cross-origin reads. Node's fetch sends
 * whatever headers we set, so the attacks are replayed byte for byte; the last test runs a real
 * attacker page in Chromium.
 */
const ALLOWED = 'https://app.example.com'
const env = useGateway((mock) => ({
  providers: { openai: { base_url: `${mock.url}/v1` } },
  server: { host: '127.0.0.1', port: 0, allowed_hosts: ['gateway.internal'], cors_origins: [ALLOWED] },
}))
let browser: Browser
let evil: Server
let evilOrigin: string

beforeAll(async () => {
  browser = await launchBrowser()
  evil = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>evil</title>'),
  )
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r))
  // Another port is another origin: the attacker page lives there.
  evilOrigin = `http://localhost:${(evil.address() as AddressInfo).port}`
})
afterAll(async () => {
  await browser?.close()
  evil?.close()
})

const chatBody = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'spend the keys' }] })

describe('JSON routes take only application/json', () => {
  it('text/plain;charset=json (no preflight needed in a browser) is a 415 and reaches no provider', async () => {
    const before = env.mock.calls.length
    for (const type of [
      'text/plain;charset=json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const res = await fetch(`${env.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': type, authorization: 'Bearer sk-x' },
        body: chatBody,
      })
      expect([type, res.status, (await errorOf(res)).code]).toEqual([type, 415, 'unsupported_media_type'])
    }
    const query = await fetch(`${env.url}/api/query`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
    })
    expect(query.status).toBe(415)
    expect(env.mock.calls.length).toBe(before)
    const ok = await fetch(`${env.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: 'Bearer sk-x' },
      body: chatBody,
    })
    expect(ok.status).toBe(200)
  })
})

describe('DNS rebinding: a loopback gateway answers only to loopback names and allowed_hosts', () => {
  it('Host: attacker.example is a 421, on the API and the LLM routes', async () => {
    const { port } = new URL(env.url)
    // fetch() will not send a Host of our choosing; a browser after a rebinding sends the attacker's.
    const asHost = (host: string, path = '/api/traces') =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
          let body = ''
          res.on('data', (d) => (body += d)).on('end', () => resolve({ status: res.statusCode!, body }))
        })
        req.on('error', reject).end()
      })
    expect((await asHost(`attacker.example:${port}`)).status).toBe(421)
    expect(JSON.parse((await asHost('attacker.example')).body).error.code).toBe('misdirected_request')
    expect((await asHost(`attacker.example:${port}`, '/v1/models')).status).toBe(421)
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `[::1]:${port}`,
      'gateway.internal',
      `app.localhost:${port}`,
    ]) {
      expect([host, (await asHost(host)).status]).toEqual([host, 200])
    }
  })
})

describe('cross-origin browser requests', () => {
  it('a page on another origin cannot call /v1, /p or /api: 403, nothing forwarded', async () => {
    const before = env.mock.calls.length
    const from = (origin: string, path: string, init: RequestInit = {}) =>
      fetch(`${env.url}${path}`, { ...init, headers: { origin, ...(init.headers as object) } })
    const post = {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-x' },
      body: chatBody,
    }
    expect((await from('https://evil.example', '/v1/chat/completions', post)).status).toBe(403)
    expect((await from('https://evil.example', '/p/openai/chat/completions', post)).status).toBe(403)
    expect((await errorOf(await from('null', '/api/traces'))).code).toBe('forbidden_origin')
    const noOrigin = await fetch(`${env.url}/api/traces`, { headers: { 'sec-fetch-site': 'cross-site' } })
    expect(noOrigin.status).toBe(403)
    expect(env.mock.calls.length).toBe(before)
  })

  it('a percent-encoded route (/%76%31/...) is the same route: refused too', async () => {
    const before = env.mock.calls.length
    const post = {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json', authorization: 'Bearer sk-x' },
      body: chatBody,
    }
    expect((await fetch(`${env.url}/%76%31/chat/completions`, post)).status).toBe(403)
    expect((await fetch(`${env.url}/%61pi/traces`, { headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(403)
    expect(env.mock.calls.length).toBe(before)
  })

  it("behind a proxy that rewrites Host, the explorer's own requests (Sec-Fetch-Site: same-origin) pass", async () => {
    const res = await fetch(`${env.url}/api/traces`, {
      headers: { origin: 'https://tracegate.example.com', 'sec-fetch-site': 'same-origin' },
    })
    expect(res.status).toBe(200)
  })

  it('the explorer itself (same origin) and clients that send no Origin are not affected', async () => {
    const same = await fetch(`${env.url}/api/traces`, { headers: { origin: env.url, 'sec-fetch-site': 'same-origin' } })
    expect(same.status).toBe(200)
    expect((await fetch(`${env.url}/api/traces`)).status).toBe(200)
  })

  it('an origin listed in server.cors_origins gets a preflight answer and CORS headers', async () => {
    const pre = await fetch(`${env.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: {
        origin: ALLOWED,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,authorization',
      },
    })
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-origin')).toBe(ALLOWED)
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST')
    const res = await fetch(`${env.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        origin: ALLOWED,
        cookie: 'session=s3cr3t',
        referer: `${ALLOWED}/app`,
        'content-type': 'application/json',
        authorization: 'Bearer sk-x',
      },
      body: chatBody,
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED)
    expect(res.headers.get('access-control-expose-headers')).toContain('x-tracegate-trace-id')
    // The browser's headers stay with the gateway: the provider sees a server, not a page.
    const sent = env.mock.calls.at(-1)!.headers
    expect([sent.origin, sent.cookie, sent.referer]).toEqual([undefined, undefined, undefined])
  })
})

describe('the explorer is served locked down', () => {
  it('strict CSP, nosniff, no framing, no referrer on the page and its assets', async () => {
    const page = await fetch(`${env.url}/traces`, { headers: { accept: 'text/html' } })
    const html = await page.text()
    const asset = html.match(/src="(\/assets\/[^"]+\.js)"/)![1]!
    for (const res of [page, await fetch(`${env.url}/`), await fetch(`${env.url}${asset}`)]) {
      const csp = res.headers.get('content-security-policy')!
      expect(csp).toContain("script-src 'self'")
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).toContain("default-src 'self'")
      expect(csp).not.toContain('unsafe-inline')
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    }
  })

  it('in Chromium, the explorer runs under its CSP without a single violation', async () => {
    const p = await browser.newPage()
    const violations: string[] = []
    p.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text())
    })
    await p.goto(`${env.url}/traces`)
    await p.getByRole('heading', { name: 'Traces' }).waitFor({ timeout: 10_000 })
    await p.goto(`${env.url}/incidents`)
    await p.getByRole('heading', { name: 'Providers and models, per attempt' }).waitFor({ timeout: 10_000 })
    await p.goto(`${env.url}/alerts`)
    await p.getByRole('heading', { name: 'Alerts', exact: true }).waitFor({ timeout: 10_000 })
    expect(violations).toEqual([])
    await p.close()
  })

  it('a real attacker page in Chromium cannot spend keys or read traces', async () => {
    const p = await browser.newPage()
    await p.goto(evilOrigin)
    const before = env.mock.calls.length
    const outcome = await p.evaluate(
      async ([gateway, body]) => {
        const results: string[] = []
        // A "simple" request: no preflight, the browser sends it and hides only the answer.
        await fetch(`${gateway}/v1/chat/completions`, {
          method: 'POST',
          mode: 'no-cors',
          headers: { 'content-type': 'text/plain;charset=json' },
          body,
        }).then(
          () => results.push('sent'),
          () => results.push('blocked'),
        )
        await fetch(`${gateway}/api/traces`)
          .then((r) => r.json())
          .then(
            () => results.push('read'),
            () => results.push('unreadable'),
          )
        return results
      },
      [env.url, chatBody] as const,
    )
    expect(outcome).toEqual(['sent', 'unreadable'])
    await new Promise((r) => setTimeout(r, 200))
    expect(env.mock.calls.length).toBe(before)
    await p.close()
  })
})
