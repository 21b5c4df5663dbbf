import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { parseConfig } from '../gateway/src/config/load.ts'
import { tracegate } from './harness.ts'

/**
 * `tracegate import litellm` on a config written to cover LiteLLM's documented shapes: the result
 * validates against tracegate's schema, and every setting read is reported as mapped, approximated
 * (how) or unsupported (why).
 */
const FIXTURE = join(import.meta.dirname, 'fixtures', 'litellm', 'proxy.yaml')
const dir = mkdtempSync(join(tmpdir(), 'tracegate-import-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const env = {
  ...process.env,
  AZURE_EASTUS_KEY: 'az-east-key-1234',
  AZURE_WESTEU_KEY: 'az-west-key-1234',
  ANTHROPIC_API_KEY: 'sk-ant-1234567890',
  OPENAI_API_KEY: 'sk-openai-1234567890',
  GROQ_API_KEY: 'gsk-1234567890',
  GEMINI_API_KEY: 'gem-1234567890',
  CI_BOT_KEY: 'sk-litellm-ci-bot-key',
  LITELLM_MASTER_KEY: 'sk-litellm-master-1234',
}

describe('tracegate import litellm', () => {
  it('writes a config that validates, and reports every setting', async () => {
    const out = join(dir, 'tracegate.yaml')
    const { stderr } = await tracegate(['import', 'litellm', FIXTURE, '-o', out])
    const written = readFileSync(out, 'utf8')
    expect(written.split('\n')[0]).toBe(`# converted from ${FIXTURE} by tracegate import litellm`)
    const config = parseConfig(parseYaml(written), env)
    // Its clients may read LiteLLM's cost header: the converted config keeps sending it.
    expect(config.litellm.response_cost_header).toBe(true)

    // Two Azure resources behind one name: two providers, load-balanced by weight, then Claude.
    expect(config.providers.azure).toMatchObject({
      base_url: 'https://eastus.openai.azure.com/openai/v1',
      api_key: 'az-east-key-1234',
      api_version: '2024-10-21',
    })
    expect(config.providers['azure-2']).toMatchObject({
      type: 'azure',
      base_url: 'https://westeu.openai.azure.com/openai/v1',
      api_key: 'az-west-key-1234',
    })
    const alias = (name: string) => config.models.find((m) => m.name === name)!
    expect(alias('gpt-4o')).toMatchObject({
      strategy: 'fallback',
      retries: 2,
      cooldown: { failures: 3, duration_ms: 30_000 },
      targets: [
        {
          strategy: 'loadbalance',
          targets: [
            { provider: 'azure', model: 'gpt4o-eastus', weight: 2 },
            { provider: 'azure-2', model: 'gpt4o-westeu', weight: 1 },
          ],
        },
        { provider: 'anthropic', model: 'claude-sonnet-4-5' },
      ],
    })
    // Ordered deployments fall back in order; a context-window fallback joins the chain.
    expect(alias('cheap').strategy).toBe('fallback')
    expect(alias('cheap').targets).toEqual([
      expect.objectContaining({ provider: 'openai', model: 'gpt-4o-mini' }),
      expect.objectContaining({ provider: 'groq', model: 'llama-3.3-70b-versatile' }),
      expect.objectContaining({ provider: 'gemini', model: 'gemini-2.5-flash' }),
    ])
    expect(alias('claude')).toMatchObject({ timeout_ms: 120_000, first_byte_timeout_ms: 30_000, retries: 3 })
    expect(config.providers['hosted-vllm']).toMatchObject({
      type: 'openai-compatible',
      base_url: 'http://10.0.0.5:8000/v1',
    })
    expect(alias('local').targets).toEqual([
      expect.objectContaining({ provider: 'hosted-vllm', model: 'meta-llama/Llama-3.1-8B-Instruct' }),
    ])
    expect(config.models.map((m) => m.name).sort()).toEqual(['cheap', 'claude', 'gemini-flash', 'gpt-4o', 'local'])

    // Keys and teams with their budgets and limits.
    expect(config.teams).toEqual([
      expect.objectContaining({ name: 'growth', budget_usd: 500, budget_period: 'month', rpm: 600 }),
    ])
    expect(config.keys.slice(1)).toEqual([
      expect.objectContaining({
        key: 'sk-litellm-ci-bot-key',
        name: 'ci-bot',
        team: 'growth',
        budget_usd: 20,
        budget_period: 'month',
        tpm: 100_000,
        rpm: 60,
        max_parallel: 4,
        models: ['gpt-4o', 'cheap'],
      }),
    ])

    const report = stderr.trim().split('\n')
    const verdictOf = (path: string) => report.find((l) => l.split(/\s+/)[1] === `${path}:`)?.split(/\s+/)[0]
    expect(verdictOf('model_list[0].litellm_params.rpm')).toBe('unsupported')
    expect(verdictOf('model_list[1].litellm_params.tpm')).toBe('unsupported')
    expect(verdictOf('model_list[6].litellm_params.model')).toBe('unsupported')
    expect(verdictOf('model_list[7].model_name')).toBe('mapped')
    expect(verdictOf('model_list[8].litellm_params.drop_params')).toBe('unsupported')
    expect(verdictOf('router_settings.routing_strategy')).toBe('approximated')
    expect(verdictOf('router_settings.fallbacks[0].gpt-4o')).toBe('mapped')
    expect(verdictOf('router_settings.context_window_fallbacks[0].cheap')).toBe('approximated')
    expect(verdictOf('router_settings.content_policy_fallbacks[0].claude')).toBe('approximated')
    expect(verdictOf('router_settings.retry_policy')).toBe('approximated')
    expect(verdictOf('router_settings.redis_host')).toBe('unsupported')
    expect(verdictOf('general_settings.master_key')).toBe('mapped')
    expect(report.find((l) => l.includes('general_settings.master_key'))).toContain(
      'TRACEGATE_ADMIN_TOKEN=$LITELLM_MASTER_KEY',
    )
    // The master key also calls models in LiteLLM: it is carried over as a gateway key, first.
    expect(config.keys[0]).toMatchObject({ name: 'litellm-master', key: 'sk-litellm-master-1234' })
    expect(verdictOf('general_settings.database_url')).toBe('unsupported')
    expect(verdictOf('litellm_settings.success_callback')).toBe('unsupported')
    expect(verdictOf('keys[0].budget_duration')).toBe('approximated')
    expect(verdictOf('keys[1]')).toBe('unsupported')
    expect(verdictOf('teams[0].budget_duration')).toBe('mapped')
    expect(report.at(-1)).toMatch(/^\d+ mapped, \d+ approximated, \d+ unsupported$/)
  })

  it('a file that is not a LiteLLM config, or a wrong command, exits 2 with a reason', async () => {
    const notYaml = join(dir, 'list.yaml')
    await import('node:fs').then((fs) => fs.writeFileSync(notYaml, '- just\n- a list\n'))
    const err = await tracegate(['import', 'litellm', notYaml]).catch((e: { code: number; stderr: string }) => e)
    expect([(err as { code: number }).code, (err as { stderr: string }).stderr]).toEqual([
      2,
      `tracegate: ${notYaml} is not a LiteLLM config (a YAML mapping)\n`,
    ])
    const usage = await tracegate(['import', 'portkey', FIXTURE]).catch((e: { code: number }) => e)
    expect((usage as { code: number }).code).toBe(2)
  })
})
