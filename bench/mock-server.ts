import { startMockUpstream } from '../test/mock-upstream.ts'

// The mock upstream in its own process, so it does not share an event loop with the load.
const mock = await startMockUpstream({ record: false })
process.stdout.write(`${mock.url}\n`)
process.on('SIGTERM', () => void mock.close().then(() => process.exit(0)))
