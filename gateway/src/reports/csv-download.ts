import type { FastifyReply } from 'fastify'

/** A report as a CSV download named for what it is and its period: tracegate-<name>-<from day>-<to day>.csv. */
export function csvDownload(reply: FastifyReply, name: string, period: { from: string; to: string }, csv: string) {
  const file = `tracegate-${name}-${period.from.slice(0, 10)}-${period.to.slice(0, 10)}.csv`
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${file}"`).send(csv)
}
