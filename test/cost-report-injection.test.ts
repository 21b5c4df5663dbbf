import { beforeAll, describe, expect, it } from 'vitest'
import type { CostReport } from '@tracegate/schemas'
import { tracegate, useGateway } from './harness.ts'

/**
 * Team names are attacker-controlled (any client sets x-tracegate-team), and the cost report is
 * opened in spreadsheets. Node trims leading whitespace from header values and refuses CR in them,
 * so the tab- and CR-led teams come from gateway keys in the config instead.
 */
const HEADER_TEAMS = ['=HYPERLINK("http://evil","x")', '+1', '-2', '@SUM(A1)', 'TOTAL', 'plain']
const KEYS = [
  { key: 'tg-key-header-teams', name: 'header', team: '' },
  { key: 'tg-key-tab-team-001', name: 'tab', team: '\tTab team' },
  { key: 'tg-key-cr-team-0001', name: 'cr', team: '\rCR team' },
]

const env = useGateway((mock) => ({
  providers: { openai: { base_url: `${mock.url}/v1`, api_key: 'sk-upstream' } },
  keys: KEYS,
}))

async function send(key: string, team?: string): Promise<void> {
  const res = await env.chat('gpt-4o', {
    authorization: `Bearer ${key}`,
    ...(team === undefined ? {} : { 'x-tracegate-team': team }),
  })
  expect(res.status).toBe(200)
  await res.text()
  await env.trace(res)
}

beforeAll(async () => {
  for (const team of HEADER_TEAMS) await send(KEYS[0]!.key, team)
  await send(KEYS[1]!.key)
  await send(KEYS[2]!.key)
  await env.gw.flushSpans()
})

const range = () =>
  `from=${new Date(Date.now() - 3_600_000).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`

/** RFC 4180: a quoted cell may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted && c === '"' && text[i + 1] === '"') {
      cell += '"'
      i++
    } else if (c === '"') {
      quoted = !quoted
    } else if (quoted || (c !== ',' && c !== '\n')) {
      cell += c
    } else {
      row.push(cell)
      cell = ''
      if (c === '\n') {
        rows.push(row)
        row = []
      }
    }
  }
  return rows
}

/** The cells of the one `group` row whose group cell is `group`. */
const groupRow = (rows: string[][], group: string) => {
  const found = rows.filter((r) => r[0] === 'group' && r[1] === group)
  expect(found, group).toHaveLength(1)
  return found[0]!
}

describe('cost report CSV against formula injection', () => {
  it('cells that a spreadsheet would run as a formula start with a quote; the total row is marked as one', async () => {
    const res = await fetch(`${env.url}/api/reports/cost?${range()}&format=csv&group_by=team`)
    expect(res.status).toBe(200)
    const text = await res.text()
    const rows = parseCsv(text)
    expect(rows[0]).toEqual([
      'row',
      'team',
      'requests',
      'errors',
      'input_tokens',
      'output_tokens',
      'cache_read_tokens',
      'cost_usd',
      'priced_requests',
      'unpriced_requests',
      'provider_reported_requests',
      'provider_cost_usd',
      'cost_gap_usd',
    ])
    expect(rows.slice(1).map((r) => r[0])).toEqual([...Array(8).fill('group'), 'total'])

    expect(text).toContain('\ngroup,"\'=HYPERLINK(""http://evil"",""x"")",1,0,')
    expect(text).toContain("\ngroup,'+1,1,0,")
    expect(text).toContain("\ngroup,'-2,1,0,")
    expect(text).toContain("\ngroup,'@SUM(A1),1,0,")
    expect(text).toContain("\ngroup,'\tTab team,1,0,")
    expect(text).toContain('\ngroup,"\'\rCR team",1,0,')
    for (const team of ['=HYPERLINK("http://evil","x")', '+1', '-2', '@SUM(A1)', '\tTab team', '\rCR team']) {
      expect(groupRow(rows, `'${team}`)[2], team).toBe('1')
    }
    // Harmless names are written as they are, a team called TOTAL included: it is a group row.
    expect(groupRow(rows, 'plain')[2]).toBe('1')
    expect(groupRow(rows, 'TOTAL')[2]).toBe('1')
    const total = rows.at(-1)!
    expect(total.slice(0, 4)).toEqual(['total', '', '8', '0'])
  })

  it('the CLI (npx tracegate report) writes the same CSV', async () => {
    const api = await (await fetch(`${env.url}/api/reports/cost?${range()}&format=csv&group_by=team`)).text()
    const [from, to] = range()
      .split('&')
      .map((p) => p.slice(p.indexOf('=') + 1))
    const { stdout } = await tracegate([
      'report',
      '--group-by',
      'team',
      '--from',
      from!,
      '--to',
      to!,
      '--format',
      'csv',
      '--url',
      env.url,
    ])
    const rows = parseCsv(stdout)
    expect(rows.map((r) => r.slice(0, 3))).toEqual(parseCsv(api).map((r) => r.slice(0, 3)))
    expect(groupRow(rows, '\'=HYPERLINK("http://evil","x")')[2]).toBe('1')
    expect(groupRow(rows, 'TOTAL')[2]).toBe('1')
    expect(rows.at(-1)!.slice(0, 3)).toEqual(['total', '', '8'])
  })

  it('JSON keeps the names as recorded (it is data, not a spreadsheet) and the totals apart', async () => {
    const report = (await (await fetch(`${env.url}/api/reports/cost?${range()}&group_by=team`)).json()) as CostReport
    expect(report.rows.map((r) => r.group).sort()).toEqual([...HEADER_TEAMS, '\tTab team', '\rCR team'].sort())
    expect(report.totals.requests).toBe(8)
  })
})
