import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { promisify } from 'node:util'
import { afterAll, afterEach, beforeAll } from 'vitest'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { stringify as toYaml } from 'yaml'
import type { ErrorBody, TraceResponse } from '@tracegate/schemas'
import { parseConfig } from '../gateway/src/config/load.ts'
import { createLogger } from '../gateway/src/log.ts'
import { startGateway, type Gateway } from '../gateway/src/app.ts'
import { startMockUpstream, type MockUpstream } from './mock-upstream.ts'
import { spawnGateway, type SpawnedGateway } from './spawn-gateway.ts'

/**
 * One way for a test file to get a gateway: `useGateway` (in this process) or `useSpawnedGateway`
 * (its own process, for exit codes, signals and kills), called once at the file's top level. Each
 * registers the hooks that start a mock upstream, a temporary data directory and the gateway
 * before the tests, clear the mock's scripted faults after each test, and take it all down after.
 */

/** What tracegate.yaml would hold, or a function building it from the mock upstream (its `url`). */
export type GatewayConfig = Record<string, unknown> | ((mock: MockUpstream) => Record<string, unknown>)

interface CommonOptions {
  /** The caller key `post` and `chat` send as `authorization: Bearer …` (a header passed to them wins). */
  apiKey?: string
  /** TRACEGATE_ADMIN_TOKEN; `trace` reads the explorer API with it. */
  adminToken?: string
  /** TRACEGATE_FAULTS=1: /debug/faults is served (to the admin token, from loopback). */
  faults?: boolean
}

export interface GatewayOptions extends CommonOptions {
  /** What `${VAR}` in the config reads; a function is called when the gateway starts. */
  env?: NodeJS.ProcessEnv | (() => NodeJS.ProcessEnv)
  /** Runs before the gateway first starts, given its empty data directory (to leave what an earlier run would have). */
  beforeStart?: (dataDir: string) => void | Promise<void>
}

export interface SpawnedOptions extends CommonOptions {
  /** The process environment on top of the test's own, PORT=0 and TRACEGATE_DATA_DIR. */
  env?: Record<string, string>
  /** Command-line arguments of the process started before the tests. */
  args?: string[]
  /** false: no process before the tests; each test starts its own with `spawn`. */
  start?: boolean
  /** Run this bundle (gateway/scripts/bundle.mjs's main.mjs, what `npm start` runs) instead of the sources. */
  bundle?: string
}

/** The body of GET /readyz, every field a test reads. */
export interface Readiness {
  status: string
  reasons: Array<{ code: string; message: string }>
  storage: { reachable: boolean; spans_table: boolean | null }
  spans: {
    pending: number
    dropped: number
    failed_inserts: number
    spool_segments: number
    spool_bytes: number
    memory_rows: number
    spool_writable: boolean
    spool_write_errors: number
    quarantined_segments: number
    quarantined_spans: number
  }
}

export interface TestGateway extends Gateway {
  /** Every log line the gateway wrote. */
  logs: string[]
}

/** Read once the `beforeAll` hooks have run: inside a test, or a hook registered after `use…Gateway`. */
abstract class GatewayClient {
  abstract readonly url: string
  protected upstream: MockUpstream | undefined

  constructor(protected readonly options: CommonOptions) {}

  /** The mock upstream the config sends to; every call it took is in `calls`. */
  get mock(): MockUpstream {
    return started(this.upstream, 'the mock upstream')
  }

  /** @internal after each test: a fault one test scripted does not reach the next. */
  clearFaults(): void {
    this.upstream?.clearFaults()
  }

  /** POST to a route of the gateway: an object goes as JSON, a string or bytes as they are. */
  post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${this.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
        ...headers,
      },
      body:
        typeof body === 'string'
          ? body
          : body instanceof Uint8Array
            ? new Blob([new Uint8Array(body)])
            : JSON.stringify(body),
    })

  /** A chat completion for `model` with one short user message; `extra` is merged into the body. */
  chat = (model: string, headers: Record<string, string> = {}, extra: object = {}): Promise<Response> =>
    this.post('/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }], ...extra }, headers)

  /** The trace of a response (or a trace id) once it has `spans` spans: writes are batched, off the request path. */
  trace = async (of: Response | string, spans = 2, timeoutMs = 10_000): Promise<TraceResponse> => {
    const id = typeof of === 'string' ? of : traceId(of)
    const auth = this.options.adminToken ? { headers: { authorization: `Bearer ${this.options.adminToken}` } } : {}
    const until = Date.now() + timeoutMs
    let last = ''
    while (Date.now() < until) {
      const res = await fetch(`${this.url}/api/traces/${id}`, auth)
      if (res.ok) {
        const body = (await res.json()) as TraceResponse
        if (body.spans.length >= spans) return body
        last = `${body.spans.length} spans`
      } else last = `HTTP ${res.status}`
      await sleep(50)
    }
    throw new Error(`trace ${id} did not reach ${spans} spans in ${timeoutMs} ms (last: ${last})`)
  }

  readyz = async (): Promise<{ code: number; body: Readiness }> => {
    const res = await fetch(`${this.url}/readyz`)
    return { code: res.status, body: (await res.json()) as Readiness }
  }

  /** The openai SDK on the gateway's /v1, without retries of its own. */
  openai = (apiKey: string): OpenAI => new OpenAI({ apiKey, baseURL: `${this.url}/v1`, maxRetries: 0 })

  /** The Anthropic SDK on the gateway, without retries of its own. */
  anthropic = (apiKey: string): Anthropic => new Anthropic({ apiKey, baseURL: this.url, maxRetries: 0 })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not started yet: read it in a test or a later hook`)
  return value
}

const tempDir = () => mkdtempSync(join(tmpdir(), 'tracegate-test-'))

const resolve = (config: GatewayConfig, mock: MockUpstream) => (typeof config === 'function' ? config(mock) : config)

/** The gateway in this process, so a test can reach into its store, writer and logs. */
export class EmbeddedGateway extends GatewayClient {
  private madeDir: string | undefined
  private current: TestGateway | undefined
  private running = false

  constructor(
    private config: GatewayConfig,
    protected override readonly options: GatewayOptions,
  ) {
    super(options)
  }

  /** Made at first use, so a file can name paths inside it before the hooks run. */
  get dataDir(): string {
    return (this.madeDir ??= tempDir())
  }
  get gw(): TestGateway {
    return started(this.current, 'the gateway')
  }
  get url(): string {
    return this.gw.url
  }

  /** @internal the hooks */
  async setUp(): Promise<void> {
    this.upstream = await startMockUpstream()
    await this.options.beforeStart?.(this.dataDir)
    // startGateway reads TRACEGATE_FAULTS from the process environment: this file's process, this gateway's alone.
    if (this.options.faults) process.env.TRACEGATE_FAULTS = '1'
    await this.start()
  }

  /** @internal */
  async tearDown(): Promise<void> {
    await this.close()
    if (this.madeDir) removeDir(this.madeDir)
    await this.upstream?.close()
  }

  /** Stop the gateway (its spans written), keeping the data directory. */
  close = async (): Promise<void> => {
    if (this.running) await this.current!.close()
    this.running = false
  }

  /** Stop the gateway if it runs, and start it again on the same data directory, with `config` from now on if given. */
  restart = async (config?: GatewayConfig): Promise<TestGateway> => {
    await this.close()
    if (config) this.config = config
    return this.start()
  }

  private async start(): Promise<TestGateway> {
    const { env = {}, adminToken } = this.options
    const vars = {
      ...(typeof env === 'function' ? env() : env),
      ...(adminToken ? { TRACEGATE_ADMIN_TOKEN: adminToken } : {}),
    }
    const raw = resolve(this.config, this.mock)
    const config = parseConfig(
      {
        server: { host: '127.0.0.1', port: 0 },
        log_level: 'debug',
        ...raw,
        storage: { data_dir: this.dataDir, flush_ms: 50, ...(raw.storage as object | undefined) },
      },
      vars,
    )
    const logs: string[] = []
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk))
        cb()
      },
    })
    const gw = await startGateway(config, {
      log: createLogger(config.log_level, sink),
      adminToken: vars.TRACEGATE_ADMIN_TOKEN,
    })
    this.current = { ...gw, logs }
    this.running = true
    return this.current
  }
}

let embedded = false

/**
 * The real gateway in this process, on an ephemeral loopback port, sending to a fresh mock upstream,
 * with the embedded engine in a fresh temporary directory. chDB binds one directory per process and
 * vitest runs each file in its own: one embedded gateway per file (restart it with `restart`).
 */
export function useGateway(config: GatewayConfig, options: GatewayOptions = {}): EmbeddedGateway {
  if (embedded) throw new Error('one embedded gateway per test file: chDB binds one data directory per process')
  embedded = true
  const env = new EmbeddedGateway(config, options)
  beforeAll(() => env.setUp())
  afterEach(() => env.clearFaults())
  afterAll(() => env.tearDown())
  return env
}

/** The gateway as its own process, in a temporary working directory holding tracegate.yaml and data/. */
export class SpawnedGatewayEnv extends GatewayClient {
  private madeDir: string | undefined
  private first: SpawnedGateway | undefined
  private firstUrl: string | undefined
  private readonly processes: SpawnedGateway[] = []

  constructor(
    private readonly config: GatewayConfig | null,
    protected override readonly options: SpawnedOptions,
  ) {
    super(options)
  }

  /** The working directory, made at first use: tracegate.yaml, data/. */
  get dir(): string {
    return (this.madeDir ??= tempDir())
  }
  get dataDir(): string {
    return join(this.dir, 'data')
  }
  /** The process started before the tests. */
  get proc(): SpawnedGateway {
    return started(this.first, 'the gateway process')
  }
  get url(): string {
    return started(this.firstUrl, 'the gateway process')
  }

  /** Start a gateway process in `dir`; one still running after the tests is killed. */
  spawn = (args: string[] = [], env: Record<string, string> = {}): SpawnedGateway => {
    const { adminToken, faults } = this.options
    const proc = spawnGateway(
      args,
      {
        PORT: '0',
        TRACEGATE_DATA_DIR: this.dataDir,
        // Set either way, so a variable in the shell that runs the tests changes nothing.
        TRACEGATE_ADMIN_TOKEN: adminToken ?? '',
        TRACEGATE_FAULTS: faults ? '1' : '',
        ...this.options.env,
        ...env,
      },
      this.dir,
      this.options.bundle,
    )
    this.processes.push(proc)
    return proc
  }

  /** @internal the hooks */
  async setUp(): Promise<void> {
    this.upstream = await startMockUpstream()
    if (this.config) writeFileSync(join(this.dir, 'tracegate.yaml'), toYaml(resolve(this.config, this.upstream)))
    if (this.options.start === false) return
    this.first = this.spawn(this.options.args)
    this.firstUrl = await this.first.ready()
  }

  /** @internal */
  async tearDown(): Promise<void> {
    for (const p of this.processes) {
      // Its spans are of no interest once the tests are over.
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
      await p.exited
    }
    await this.upstream?.close()
    if (this.madeDir) removeDir(this.madeDir)
  }
}

/**
 * The gateway as its own process (node with tsx's loader), for exit codes, signals, kills and a core
 * of its own. `config` is written to tracegate.yaml in its working directory (null: the tests write
 * their own); with `start: false` no process runs until a test calls `spawn`.
 */
export function useSpawnedGateway(config: GatewayConfig | null, options: SpawnedOptions = {}): SpawnedGatewayEnv {
  const env = new SpawnedGatewayEnv(config, options)
  beforeAll(() => env.setUp())
  afterEach(() => env.clearFaults())
  afterAll(() => env.tearDown())
  return env
}

/**
 * Remove a test's temporary directory. The embedded engine's background threads can still be
 * finishing a part as the gateway closes: retried, as Node does for ENOTEMPTY and EBUSY. The
 * engine lives as long as the test process, so a merge can still be writing after every retry:
 * then the directory is left in the system's temp dir, said on stderr, and the tests' verdicts
 * stand (a CI run once failed on this after all 429 tests had passed).
 */
function removeDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 })
  } catch (err) {
    process.stderr.write(`test temp dir ${dir} left behind: ${(err as Error).message}\n`)
  }
}

/** The trace id the gateway answered with. */
export const traceId = (res: Response): string => res.headers.get('x-tracegate-trace-id')!

/** The `error` of an OpenAI-style error body. */
export const errorOf = async (res: Response): Promise<ErrorBody['error']> => ((await res.json()) as ErrorBody).error

export const serverSpan = (t: TraceResponse) => {
  const s = t.spans.find((x) => x.kind === 'server')
  if (!s) throw new Error('no server span')
  return s
}

export const clientSpans = (t: TraceResponse) => t.spans.filter((x) => x.kind === 'client')

/** Poll until `check` holds; fail naming `what` after `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what}: not reached in ${timeoutMs / 1000} s`)
    await sleep(50)
  }
}

const CLI = join(import.meta.dirname, '..', 'node_modules', '.bin', 'tracegate')

/** The tracegate CLI as `npx tracegate` runs it; rejects when it exits non-zero. */
export const tracegate = (args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  promisify(execFile)(CLI, args, options)
