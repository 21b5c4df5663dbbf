/** What every CLI command shares: the gateway's address and token, failing with a message. */
export const COMMON = {
  url: { type: 'string', default: process.env.TRACEGATE_URL ?? 'http://127.0.0.1:4000' },
  token: { type: 'string', default: process.env.TRACEGATE_ADMIN_TOKEN || undefined },
  config: { type: 'string' },
} as const

export function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`)
  process.exit(code)
}

/** The gateway's answer at `path`, or null when no gateway listens at `url`. */
export async function fromGateway(
  url: string,
  token: string | undefined,
  path: string,
  post?: object,
): Promise<string | null> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {}
  if (post) headers['content-type'] = 'application/json'
  if (!URL.canParse(url)) fail(`tracegate: --url "${url.slice(0, 200)}" is not a URL (e.g. http://127.0.0.1:4000)`, 2)
  try {
    const res = await fetch(`${url.replace(/\/+$/, '')}${path}`, {
      method: post ? 'POST' : 'GET',
      headers,
      body: post ? JSON.stringify(post) : undefined,
    })
    const text = await res.text()
    if (!res.ok) fail(`tracegate: ${res.status} ${text.trim()}`, 1)
    return text
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause
    if (cause?.code === 'ECONNREFUSED') return null
    // An unknown host, a reset, a TLS failure: say where and why, not fetch's bare "fetch failed".
    fail(`tracegate: no gateway answers at ${url} (${cause?.message ?? (err as Error).message})`, 1)
  }
}
