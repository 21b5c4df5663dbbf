/** A throwaway redis-server on a free loopback port, killed with the process: for the shared-limits tests and bench:budgets. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'

export interface RedisServer {
  url: string
  port: number
  child: ChildProcess
}

/** Exit with a clear message rather than a spawn error deep in a run: the shared-store figures need it. */
export function requireRedisServer(): void {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' })
  } catch {
    console.error('npm run bench:budgets needs redis-server on the PATH (apt-get install redis-server)')
    process.exit(1)
  }
}

async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as { port: number }).port
  await new Promise((r) => srv.close(r))
  return port
}

/** No persistence: every bench run starts from an empty store. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort()
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
  const child = spawn('redis-server', args, { stdio: 'ignore' })
  process.on('exit', () => child.kill('SIGKILL'))
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 })
  client.on('error', () => undefined)
  try {
    for (let i = 0; i < 100; i++) {
      try {
        await client.connect()
        if ((await client.ping()) === 'PONG') return { url: `redis://127.0.0.1:${port}`, port, child }
      } catch {
        await new Promise((r) => setTimeout(r, 50))
      }
    }
    throw new Error(`redis-server did not answer on 127.0.0.1:${port} within 5 s`)
  } finally {
    client.disconnect()
  }
}
