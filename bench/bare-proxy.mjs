// The floor for a Node gateway: Fastify in, an undici keep-alive pool out, the body passed through
// as bytes, no routing, no tracing. `npm run bench` runs it beside tracegate so every run reports
// what tracegate costs over the least any Node proxy on the same stack can cost.
import Fastify from 'fastify'
import { Pool } from 'undici'

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length'])
const upstream = new Pool(process.argv[2], { connections: 256 })
const app = Fastify({ logger: false })
app.removeAllContentTypeParsers()
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))
app.post('/*', async (req, reply) => {
  const headers = { 'content-type': 'application/json' }
  for (const [k, v] of Object.entries(req.headers)) if (k.startsWith('x-mock-')) headers[k] = v
  const res = await upstream.request({ method: 'POST', path: req.url, headers, body: req.body })
  reply.code(res.statusCode)
  for (const [k, v] of Object.entries(res.headers)) if (!HOP_BY_HOP.has(k)) reply.header(k, v)
  return reply.send(res.body)
})
const url = await app.listen({ port: 0, host: '127.0.0.1' })
console.log(`listening on ${url}`)
