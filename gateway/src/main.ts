import { configPath, loadConfig, providersKeyedFromEnv, ConfigError } from './config/load.ts'
import { createLogger } from './log.ts'
import { startGateway } from './app.ts'
import { buildExplorerIfStale } from './explorer/build.ts'

/** `npm start`: load config (exit 2 when it is wrong), start, stop cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config
  try {
    config = loadConfig(configPath(process.argv.slice(2), process.env))
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.problems) process.stderr.write(`config error: ${line}\n`)
      process.exit(2)
    }
    throw err
  }
  const log = createLogger(config.log_level)
  // A stray rejection in a dependency (an exporter, a socket) must not take the gateway down.
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'))
  try {
    await buildExplorerIfStale(log)
  } catch (err) {
    // The gateway is useful without its UI; say why the explorer is missing and carry on.
    log.warn({ err }, 'building the explorer failed; serving the API only')
  }
  const keysFromEnv = providersKeyedFromEnv(config, process.env)
  if (keysFromEnv.length) log.info({ providers: keysFromEnv }, 'provider keys taken from the environment')
  const insecure = process.argv.includes('--insecure')
  let gateway
  try {
    gateway = await startGateway(config, { log, adminToken: process.env.TRACEGATE_ADMIN_TOKEN || undefined, insecure })
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    for (const line of err.problems) process.stderr.write(`config error: ${line}\n`)
    process.exit(2)
  }
  log.info({ url: gateway.url, storage: gateway.store.engine }, `tracegate listening on ${gateway.url}`)
  const stop = async (signal: string) => {
    log.info({ signal }, 'shutting down')
    await gateway.close()
    process.exit(0)
  }
  process.once('SIGTERM', () => void stop('SIGTERM'))
  process.once('SIGINT', () => void stop('SIGINT'))
}

main().catch((err) => {
  process.stderr.write(`tracegate failed to start: ${(err as Error).message}\n`)
  process.exit(1)
})
