// The floor for any Node proxy: node:http in, undici out, no routing, no parsing, no tracing.
// `npm run bench` reports it beside the gateway so the cost of what tracegate adds is visible.
import { createServer } from 'node:http'
import { Pool } from 'undici'

const upstream = new Pool(process.argv[2], { connections: 64 })
const server = createServer((req, res) => {
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', async () => {
    const r = await upstream.request({
      method: 'POST',
      path: req.url,
      headers: { 'content-type': 'application/json' },
      body: Buffer.concat(chunks),
    })
    res.writeHead(r.statusCode, r.headers)
    r.body.on('data', (c) => res.write(c))
    r.body.on('end', () => res.end())
  })
})
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`))
