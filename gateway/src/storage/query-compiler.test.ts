import { describe, expect, it } from 'vitest'
import { OUTCOMES, MetaKeysQuerySchema, QUERY_DIMENSIONS, QUERY_METRICS, QueryRequestSchema } from '@tracegate/schemas'
import { compileMetaKeys, compileQuery } from './query-compiler.ts'
import { OUTCOME_SQL } from './span-sql.ts'

const base = { from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' }
const compile = (q: object) => compileQuery(QueryRequestSchema.parse({ ...base, ...q }), 'tracegate')

describe('query compiler', () => {
  it('answers from the rollup when it can, from raw spans when it must', () => {
    expect(compile({ group_by: ['team'], metrics: ['requests', 'cost_usd'] }).source).toBe('rollup')
    expect(compile({ group_by: ['user'], metrics: ['requests'] }).source).toBe('spans')
    expect(compile({ group_by: ['outcome'], metrics: ['fallbacks', 'retries'] }).source).toBe('rollup')
    expect(compile({ group_by: ['error_type'], metrics: ['requests'] }).source).toBe('spans')
    expect(compile({ metrics: ['requests'], filters: [{ dimension: 'tag', op: 'eq', value: 'beta' }] }).source).toBe(
      'spans',
    )
  })

  it('every dimension and metric compiles, on both sources', () => {
    for (const d of [...QUERY_DIMENSIONS, 'meta:ticket']) {
      for (const m of QUERY_METRICS) {
        const c = compile({ group_by: [d], metrics: [m], interval: '5m' })
        expect(c.sql).toContain('toStartOfInterval')
        expect(c.columns).toEqual(['time', d, m])
      }
    }
  })

  it('every filter op binds its values as parameters', () => {
    for (const op of ['eq', 'neq', 'in', 'not_in'] as const) {
      const c = compile({
        metrics: ['requests'],
        filters: [{ dimension: 'team', op, value: op.endsWith('in') ? ['a', 'b'] : 'a' }],
      })
      expect(c.sql).toContain(`Team ${op === 'eq' || op === 'in' ? 'IN' : 'NOT IN'} {f0:Array(String)}`)
      expect(c.params.f0).toEqual(op.endsWith('in') ? ['a', 'b'] : ['a'])
    }
    expect(
      compile({ metrics: ['requests'], filters: [{ dimension: 'status', op: 'eq', value: 'error' }] }).params.f0,
    ).toEqual(['Error'])
  })

  it('hostile input never reaches the SQL text', () => {
    const evil = "x') OR 1=1; DROP TABLE tracegate.spans --"
    const c = compile({
      group_by: ['meta:ticket'],
      metrics: ['requests'],
      filters: [
        { dimension: 'workflow', op: 'eq', value: evil },
        { dimension: 'meta:ticket', op: 'in', value: [evil] },
      ],
    })
    expect(c.sql).not.toContain('DROP')
    expect(c.sql).not.toContain('OR 1=1')
    expect(c.params.f0).toEqual([evil])
    expect(c.params.meta0).toBe('tracegate.meta.ticket')
  })

  it('rejects unknown dimensions and metrics, bad meta names, huge or inverted ranges', () => {
    const bad = (q: object) => QueryRequestSchema.safeParse({ ...base, metrics: ['requests'], ...q }).success
    expect(bad({ group_by: ['password'] })).toBe(false)
    expect(bad({ group_by: ["meta:a'b"] })).toBe(false)
    expect(bad({ metrics: ['sum(Duration)'] })).toBe(false)
    expect(bad({ from: '2020-01-01T00:00:00Z' })).toBe(false)
    expect(bad({ to: '2026-10-01T00:00:00Z' })).toBe(false)
    expect(bad({ limit: 1_000_000 })).toBe(false)
    expect(bad({})).toBe(true)
  })

  it('metadata names look back at most a week from the end of the range, bound as parameters', () => {
    const c = compileMetaKeys(
      MetaKeysQuerySchema.parse({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' }),
      'tracegate',
    )
    expect(c.params).toEqual({ from: '2026-10-25 00:00:00.000000000', to: '2026-11-01 00:00:00.000000000' })
    expect(c.sql).toContain('{from:DateTime64(9)}')
    expect(MetaKeysQuerySchema.safeParse({ from: "1' OR 1=1", to: '2026-11-01T00:00:00Z' }).success).toBe(false)
    expect(
      MetaKeysQuerySchema.safeParse({ from: '2026-11-02T00:00:00Z', to: '2026-11-01T00:00:00Z' }).error!.issues[0]!
        .message,
    ).toBe('to must be after from')
  })
})

describe('outcomes', () => {
  it('the SQL that computes an outcome and the list the explorer offers name the same outcomes', () => {
    // Each branch's result: a quoted word at the end of a line, or the final default.
    const inSql = [...OUTCOME_SQL.matchAll(/,\s+'([a-z0-9_]+)'(?=,\n|\)$)/g)].map((m) => m[1])
    expect([...new Set(inSql)].sort()).toEqual([...OUTCOMES].sort())
  })
})
