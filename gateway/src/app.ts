import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Config } from '@tracegate/schemas'
import { STATUS_CODES } from 'node:http'
import { GatewayError, clientError, fromFrameworkError } from './errors.ts'
import { ProviderRegistry } from './providers/registry.ts'
import { ModelRouter } from './routing/resolve.ts'
import { Cooldowns } from './routing/cooldown.ts'
import { KeyAuthenticator } from './keys/authenticate.ts'
import { Pricer } from './spans/pricing.ts'
import { SpanRecorder } from './spans/recorder.ts'
import { ShadowSender } from './shadow/sender.ts'
import { startLimits, type StartedLimits } from './limits/start.ts'
import { costOfAnswer } from './spans/attempt-cost.ts'
import { openStore, type Store } from './storage/client.ts'
import { yieldToEventLoop } from './storage/engine-priority.ts'
import { migrate } from './storage/migrate.ts'
import { SpanWriter } from './storage/writer.ts'
import { spoolDirOf } from './storage/spool.ts'
import { parseBody } from './proxy/request-body.ts'
import { hostGuard, isLoopbackHost } from './guard/hosts.ts'
import { originGuard } from './guard/origins.ts'
import { ConfigError } from './config/load.ts'
import cors from '@fastify/cors'
import { proxyRoutes, rawMethodNotAllowed } from './proxy/routes.ts'
import { traceApi } from './api/traces.ts'
import { reportsApi } from './api/reports.ts'
import { queryApi } from './api/query.ts'
import { incidentsApi } from './api/incidents.ts'
import { healthApi } from './api/health.ts'
import { spoolApi } from './api/spool.ts'
import { GatewayMetrics, metricsApi } from './api/metrics.ts'
import { MetricLabels } from './api/metric-labels.ts'
import { faultsApi } from './api/faults.ts'
import { LiveTail, tailApi } from './api/tail.ts'
import { appPage, explorerAssets, isAppRoute, sendApp } from './explorer/serve.ts'
import { Alerts } from './alerts/service.ts'
import { alertsApi } from './api/alerts.ts'
import { keysApi } from './api/keys.ts'
import { checkApi } from './api/check.ts'
import { limitsUsageApi } from './api/limits-usage.ts'
import { litellmKeyEndpoints } from './litellm/key-endpoints.ts'
import { tokenMatcher } from './secrets.ts'

export interface Gateway {
  app: FastifyInstance
  store: Store
  writer: SpanWriter
  /** Spans recorded and not yet acknowledged by ClickHouse. */
  pendingSpans(): number
  /** Build the rows of every recorded request now and insert everything waiting. */
  flushSpans(): Promise<void>
  /** http://host:port the gateway listens on. */
  url: string
  /** Stop accepting, write every recorded span, release storage. */
  close(): Promise<void>
}

export interface GatewayOptions {
  log: Logger
  adminToken?: string
  /** Built explorer to serve at `/` (default ui/dist). */
  explorerDir?: string
  /** Listen beyond loopback without an admin token (the explorer API then shows prompts to anyone). */
  insecure?: boolean
}

/**
 * The explorer API shows prompts and answers: off this machine it needs an admin token, unless
 * the operator says --insecure. Running on operator keys for anonymous callers is said out loud.
 */
function checkExposure(config: Config, opts: GatewayOptions, providers: ProviderRegistry): void {
  const { log } = opts
  if (!isLoopbackHost(config.server.host) && !opts.adminToken) {
    if (!opts.insecure)
      throw new ConfigError([
        `server.host: ${config.server.host} is reachable from other machines and TRACEGATE_ADMIN_TOKEN is not set; set it, or start with --insecure to expose traces (prompts included) to anyone who can connect`,
      ])
    log.warn(
      { host: config.server.host },
      'INSECURE: listening beyond loopback without an admin token (--insecure): anyone who can connect reads every trace, prompts included',
    )
  }
  const operatorKeys = providers.withOperatorKeys()
  if (config.auth.allow_anonymous && operatorKeys.length) {
    log.warn(
      { providers: operatorKeys },
      'auth.allow_anonymous is on: callers without a gateway key spend the provider keys in this config',
    )
  }
}

/**
 * The gateway's own notices to `alerts.system_notify`: this replica's limits store going away and
 * coming back, and (from the replica that evaluates alerts, so once) a soft budget reached.
 */
function tellAlerts(alerts: Alerts, spend: StartedLimits, evaluates: boolean): void {
  if (spend.failover)
    spend.failover.onChange = (up, since) =>
      alerts.notifySystem({
        id: 'system-limits-store',
        name: 'shared limits store (Redis)',
        metric: 'limits_store_up',
        state: up ? 'resolved' : 'firing',
        value: up ? 1 : 0,
        threshold: 1,
        since,
      })
  if (evaluates)
    spend.softBudgets.onReached = (s) =>
      alerts.notifySystem({
        id: `system-soft-${s.kind}-${s.name}`.slice(0, 100),
        name: `soft budget of ${s.kind} ${s.name}`,
        metric: 'soft_budget_usd',
        scope: s.kind === 'user' ? {} : { [s.kind]: s.name },
        state: 'firing',
        value: s.spent_usd,
        threshold: s.soft_budget_usd ?? 0,
        since: Date.now(),
      })
}

/** Wire the parts together and listen. */
export async function startGateway(config: Config, opts: GatewayOptions): Promise<Gateway> {
  const { log } = opts
  const providers = new ProviderRegistry(config)
  checkExposure(config, opts, providers)
  const store = await openStore(config)
  await migrate(store, config.storage.retention_days, log)
  const stopYielding = store.engine === 'chdb' ? yieldToEventLoop(config.storage.background_nice) : () => undefined
  const writer = new SpanWriter(
    store,
    {
      batchRows: config.storage.batch_rows,
      flushMs: config.storage.flush_ms,
      maxSpoolBytes: config.spool.max_bytes,
      maxMemoryRows: config.spool.max_memory_rows,
      maxInsertAttempts: config.spool.max_insert_attempts,
      spoolDir: spoolDirOf(config.storage.data_dir),
    },
    log,
  )
  // Loaded only when configured: the OpenTelemetry SDK is a fair share of the start-up time.
  const otlp = config.otlp
    ? new (await import('./spans/otlp-export.ts')).OtlpExport(
        config.otlp.endpoint,
        config.otlp.headers,
        config.service_name,
      )
    : null
  const router = new ModelRouter(config, providers)
  // Recorded and not yet acknowledged: queued for row building (a few ms), or in the writer. Read only
  // at scrape or /readyz time, after the recorder below exists (it takes the metrics as a sink).
  const pendingSpans = (): number => recorder.queued + writer.stats.pending
  const metrics = new GatewayMetrics(writer, new MetricLabels(config, providers, router), pendingSpans)
  const tail = new LiveTail()
  const pricer = new Pricer(config.prices)
  const recorder = new SpanRecorder(
    {
      serviceName: config.service_name,
      captureBodies: config.capture_bodies,
      maxBodyBytes: config.max_body_bytes,
      pricer,
      resource: { 'service.name': config.service_name },
    },
    otlp ? [writer, metrics, tail, otlp] : [writer, metrics, tail],
    log,
  )

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // Per-request log lines cost throughput and carry nothing the spans do not.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request (pino serialises its bindings each time): the few per-request lines name their trace id.
    childLoggerFactory: (logger) => logger,
    bodyLimit: config.max_request_bytes,
    requestTimeout: config.server.request_timeout_ms,
    // Node checks request timeouts on this tick; its 30 s default would let a slow body linger.
    http: {
      connectionsCheckingInterval: Math.min(1000, config.server.request_timeout_ms),
      requestTimeout: config.server.request_timeout_ms,
    },
    return503OnClosing: true,
    clientErrorHandler: (err, socket) => {
      const e = clientError(err as { code?: string })
      const body = JSON.stringify(e.toJSON())
      if (socket.writable)
        socket.end(
          `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        )
      else socket.destroy()
    },
  })
  const hosts = hostGuard(config.server.host, config.server.allowed_hosts)
  if (hosts) app.addHook('onRequest', hosts)
  app.addHook('onRequest', originGuard(config.server.cors_origins))
  if (config.server.cors_origins.length) {
    await app.register(cors, {
      origin: config.server.cors_origins,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      maxAge: 600,
      exposedHeaders: [
        'x-tracegate-trace-id',
        'x-tracegate-attempts',
        'x-tracegate-provider',
        'x-tracegate-model',
        'x-request-id',
      ],
    })
  }
  // The explorer API and the fault endpoint take JSON bodies only (see parseBody).
  app.addHook('onRoute', (route) => {
    if (/^\/(api|debug)\//.test(route.url)) route.config = { ...route.config, json: true }
  })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, parseBody)
  app.setErrorHandler((err, req, reply) => {
    const gerr = err instanceof GatewayError ? err : fromFrameworkError(err as { code?: string; statusCode?: number })
    // No per-request logger binds a request id: say which request it was.
    if (gerr.code === 'internal_error')
      req.log.error({ err, method: req.method, path: req.url.split('?')[0] }, 'unhandled error')
    void reply.code(gerr.status).type('application/json').send(gerr.toJSON())
  })
  const explorerPage = appPage(opts.explorerDir)
  app.setNotFoundHandler((req, reply) => {
    if (explorerPage && isAppRoute(req)) return sendApp(reply, explorerPage)
    // Methods Fastify does not route at all (PROPFIND…) land here, not on the raw route.
    if (req.url.startsWith('/p/')) throw rawMethodNotAllowed(reply, req.method)
    void reply
      .code(404)
      .send(
        new GatewayError('not_found', `no route for ${req.method} ${req.url.split('?', 1)[0]!.slice(0, 200)}`).toJSON(),
      )
  })

  const spend = await startLimits(config, store, pricer, log, metrics.registry)
  const { directory, limits } = spend
  const shadow = new ShadowSender(config.shadow, recorder)
  metrics.watchShadow(shadow.queue)
  await app.register(proxyRoutes, {
    config,
    router,
    keys: new KeyAuthenticator(config, directory),
    limits,
    recorder,
    providers,
    cooldowns: new Cooldowns(),
    shadow,
    responseCost: config.litellm.response_cost_header ? (o, a) => costOfAnswer(pricer, o, a) : undefined,
    isAdmin: opts.adminToken ? tokenMatcher(opts.adminToken) : undefined,
  })
  const queryTimeoutMs = config.storage.query_timeout_ms
  await app.register(traceApi, { store, adminToken: opts.adminToken, queryTimeoutMs })
  await app.register(reportsApi, { store, adminToken: opts.adminToken, queryTimeoutMs })
  await app.register(queryApi, { store, adminToken: opts.adminToken, queryTimeoutMs })
  await app.register(incidentsApi, {
    store,
    adminToken: opts.adminToken,
    queryTimeoutMs,
    settings: config.incidents,
  })
  await app.register(healthApi, {
    store,
    writer,
    pendingSpans,
    limitsFailingSince: () => spend.failover?.failingSince ?? null,
  })
  await app.register(spoolApi, { writer, adminToken: opts.adminToken })
  await app.register(metricsApi, { metrics })
  await app.register(tailApi, { tail, adminToken: opts.adminToken })
  // Links in notifications lead to the explorer: the configured address, else the one this gateway listens on.
  const alerts = new Alerts(store, config.alerts, log, () => config.alerts.explorer_url ?? url)
  await app.register(alertsApi, { store, alerts, adminToken: opts.adminToken })
  tellAlerts(alerts, spend, config.alerts.evaluate)
  await app.register(keysApi, { directory, adminToken: opts.adminToken })
  await app.register(checkApi, { config, router, providers, pricer, directory, adminToken: opts.adminToken })
  await app.register(limitsUsageApi, { limits, adminToken: opts.adminToken })
  await app.register(litellmKeyEndpoints, { directory, limits, adminToken: opts.adminToken })
  await app.register(explorerAssets, { dir: opts.explorerDir, page: explorerPage })
  if (process.env.TRACEGATE_FAULTS === '1') await app.register(faultsApi, { store, adminToken: opts.adminToken })

  await app.listen({ host: config.server.host, port: config.server.port })
  const addr = app.server.address()
  const port = typeof addr === 'object' && addr ? addr.port : config.server.port
  const url = `http://${config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host}:${port}`
  await alerts.start()

  let closing: Promise<void> | null = null
  const close = () =>
    (closing ??= (async () => {
      // Stop accepting; in-flight requests and streams finish within the grace period, then are cut.
      // Keep-alive connections go idle as their last response ends; close each as soon as it does.
      const grace = setTimeout(() => app.server.closeAllConnections(), config.server.shutdown_grace_ms)
      const idle = setInterval(() => app.server.closeIdleConnections(), 50)
      tail.close()
      await app.close()
      clearTimeout(grace)
      clearInterval(idle)
      await shadow.close(config.server.shutdown_grace_ms, log)
      await alerts.close()
      spend.stop()
      // Settles what is still held (drain builds the rows that settle it) before the store goes.
      recorder.drain()
      await spend.closeStore()
      await writer.close()
      await otlp?.close()
      await providers.close()
      stopYielding()
      await store.close()
    })())
  const flushSpans = async () => {
    recorder.drain()
    await writer.flush()
  }
  return { app, store, writer, pendingSpans, flushSpans, url, close }
}
