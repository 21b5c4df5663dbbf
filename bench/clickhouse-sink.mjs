// A stand-in for a ClickHouse server on other hardware: it answers every query and insert with an
// empty 200 and keeps nothing. `BENCH_STORAGE=sink npm run bench` points the gateway at it
// (CLICKHOUSE_URL), so the gateway's CPU per request is measured with storage off its machine.
import { createServer } from 'node:http'

const server = createServer((req, res) => {
  req.on('data', () => undefined)
  req.on('end', () => res.end(req.url?.startsWith('/ping') ? 'Ok.\n' : ''))
})
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`))
