import { describe, expect, it } from 'vitest'
import { parseConfig, ConfigError } from './load.ts'

const problems = (raw: unknown, env: NodeJS.ProcessEnv = {}) => {
  try {
    parseConfig(raw, env)
    return []
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
}

describe('config', () => {
  it('interpolates ${VAR} and ${VAR:-default}', () => {
    const cfg = parseConfig(
      { providers: { openai: { api_key: '${K}', base_url: '${U:-http://127.0.0.1:1/v1}' } } },
      { K: 'sk-x' },
    )
    expect(cfg.providers.openai!.api_key).toBe('sk-x')
    expect(cfg.providers.openai!.base_url).toBe('http://127.0.0.1:1/v1')
  })

  it('names the path of every problem', () => {
    expect(problems({ providers: { openai: { api_key: '${MISSING}' } } })).toEqual([
      'providers.openai.api_key: environment variable MISSING is not set',
    ])
    expect(problems({ providers: { mine: { base_url: 'http://x' } } })).toEqual([
      'providers.mine.type: custom provider "mine" needs a type (openai, anthropic, azure, openai-compatible)',
    ])
    expect(problems({ models: [{ name: 'a', targets: [] }] })).toEqual([
      'models[0].targets: Too small: expected array to have >=1 items',
    ])
    expect(problems({ bogus: 1 })[0]).toMatch(/^\(root\): Unrecognized key/)
    const nested = {
      models: [
        {
          name: 'n',
          targets: [
            {
              strategy: 'loadbalance',
              targets: [
                { provider: 'openai', model: 'a' },
                { provider: 'nope', model: 'b' },
              ],
            },
          ],
        },
      ],
    }
    expect(problems(nested)).toEqual(['models[0].targets[0].targets[1].provider: unknown provider "nope"'])
  })

  it('environment overrides PORT, HOST and CLICKHOUSE_URL', () => {
    const cfg = parseConfig({}, { PORT: '5001', HOST: '0.0.0.0', CLICKHOUSE_URL: 'http://ch:8123' })
    expect([cfg.server.port, cfg.server.host, cfg.storage.clickhouse_url]).toEqual([5001, '0.0.0.0', 'http://ch:8123'])
    expect(problems({}, { PORT: 'abc' })).toEqual(['PORT: "abc" is not a valid port'])
  })

  it('storage.cluster is an identifier, and only for a ClickHouse server', () => {
    const server = { clickhouse_url: 'http://ch:8123' }
    expect(parseConfig({ storage: { ...server, cluster: 'tracegate_cluster' } }, {}).storage.cluster).toBe(
      'tracegate_cluster',
    )
    expect(parseConfig({ storage: { cluster: 'c1' } }, { CLICKHOUSE_URL: 'http://ch:8123' }).storage.cluster).toBe('c1')
    expect(problems({ storage: { ...server, cluster: 'c1 ON CLUSTER x' } })).toEqual([
      'storage.cluster: a cluster name is letters, digits and underscores, not starting with a digit',
    ])
    expect(problems({ storage: { ...server, cluster: '' } })).toEqual([
      'storage.cluster: a cluster name is letters, digits and underscores, not starting with a digit',
    ])
    expect(problems({ storage: { cluster: 'c1' } })).toEqual([
      'storage.cluster: a cluster needs a ClickHouse server (storage.clickhouse_url or CLICKHOUSE_URL); the embedded engine is one process on one machine',
    ])
  })

  it("server.allowed_hosts takes host names without a port (the Host header's port is ignored)", () => {
    expect(problems({ server: { allowed_hosts: ['gateway.internal', '[::1]'] } })).toEqual([])
    expect(problems({ server: { allowed_hosts: ['gateway.internal:4000'] } })).toEqual([
      "server.allowed_hosts[0]: a host name without a port (the Host header's port is ignored)",
    ])
  })
})
