import { hash } from 'node:crypto'
import type { RequestObservation } from './observation.ts'
import { tryJson } from '../wires/sse.ts'

/**
 * What two answers to the same request are compared by (shadow traffic), as attributes of each
 * attempt of a shadowed request and of its shadow calls: a digest of the text (equal text, equal
 * digest), its length, the tools called, and for a JSON-mode request whether the text is JSON.
 */
export function outputAttributes(
  attrs: Record<string, string>,
  o: RequestObservation,
  captured: string,
  asksJson: boolean,
): void {
  const answer = o.wire.readAnswer?.(captured, o.stream)
  if (!answer) return
  attrs['tracegate.output.hash'] = hash('sha256', answer.text, 'hex').slice(0, 32)
  attrs['tracegate.output.chars'] = String(answer.text.length)
  if (answer.tools.length) attrs['tracegate.output.tools'] = JSON.stringify(answer.tools)
  // A JSON-mode answer that only calls tools has no text to judge.
  if (asksJson && (answer.text || !answer.tools.length))
    attrs['tracegate.output.json_valid'] = String(tryJson(answer.text) !== undefined)
}
