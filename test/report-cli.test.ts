import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tracegate } from './harness.ts'

/**
 * The report, break-even, compare, prices and spool commands on a user's mistakes: a wrong flag, a missing one,
 * or something other than a gateway answering at --url. Each says what is wrong, never a stack.
 */
interface Run {
  code: number
  stdout: string
  stderr: string
}

async function cli(args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await tracegate(args, { env: { ...process.env, TRACEGATE_URL: '' } })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as Run
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

const period = ['--from', '2024-01-01', '--to', '2024-01-02']

describe('a wrong or missing flag', () => {
  it.each([
    [['compare', '--bogus'], "tracegate: Unknown option '--bogus'", 'usage: tracegate compare'],
    [['report', '--bogus'], "tracegate: Unknown option '--bogus'", 'usage: tracegate report'],
    [['report', 'break-even', '--bogus'], "tracegate: Unknown option '--bogus'", 'usage: tracegate report break-even'],
    [['compare', '--from', '2024-01-01'], '--to: required', 'usage: tracegate compare'],
    [['report', 'break-even', '--to', '2024-01-01'], '--from: required', 'usage: tracegate report break-even'],
    [
      ['prices', 'missing', '--bogus'],
      "tracegate: Unknown option '--bogus'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- \"--bogus\"",
      'tracegate prices missing',
    ],
    [
      ['spool', 'list', '--bogus'],
      "tracegate: Unknown option '--bogus'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- \"--bogus\"",
      'tracegate spool list',
    ],
  ])('%j exits 2 with the problem and the usage', async (args, problem, usage) => {
    const run = await cli(args)
    expect(run.code).toBe(2)
    expect(run.stderr.split('\n')[0]).toBe(problem)
    expect(run.stderr).toContain(usage)
    expect(run.stderr).not.toMatch(/\n\s+at /)
  })
})

describe('something other than a gateway at --url', () => {
  let server: Server
  let url = ''
  beforeAll(async () => {
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hi</html>'))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  it.each([
    [['compare', ...period], 'a compare report'],
    [['report', 'break-even', ...period], 'a break-even report'],
    [['prices', 'missing', ...period], 'unpriced models'],
    [['spool', 'list'], 'the spool quarantine'],
  ])('%j says what answered instead of a JSON parse error', async (args, what) => {
    const run = await cli([...args, '--url', url])
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: `tracegate: ${url} answered something other than ${what}: <html>hi</html>\n`,
    })
  })
})

describe('a --url no gateway can answer at', () => {
  it.each([
    [
      ['report', ...period, '--url', 'notaurl'],
      2,
      'tracegate: --url "notaurl" is not a URL (e.g. http://127.0.0.1:4000)',
    ],
    [
      ['compare', ...period, '--url', 'http://no-such-host.invalid:4000'],
      1,
      'tracegate: no gateway answers at http://no-such-host.invalid:4000 (',
    ],
  ])('%j says so, with the URL', async (args, code, message) => {
    const run = await cli(args)
    expect(run.code).toBe(code)
    expect(run.stderr.startsWith(message)).toBe(true)
    expect(run.stderr).not.toMatch(/\n\s+at /)
  })
})
