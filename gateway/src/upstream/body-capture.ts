/** Bytes of a response kept for reading usage: enough for a whole ordinary response, then its end. */
const CAPTURE_HEAD = 1 << 20
const CAPTURE_TAIL = 64 << 10

/**
 * The capture for an attempt's response (the plan runner's and shadow calls' alike). `bodyLimit`,
 * at least the largest request body, keeps a response that echoes it read whole.
 */
export const responseCapture = (bodyLimit: number) => new BodyCapture(Math.max(CAPTURE_HEAD, bodyLimit), CAPTURE_TAIL)

/**
 * Keeps references to the chunks of a response as they pass (no copies): all of them up to
 * `headLimit`, then a rolling tail of about `tailLimit` bytes, because usage arrives at the start
 * (Anthropic's message_start) and at the end (OpenAI's last chunk) of a stream.
 */
export class BodyCapture {
  private readonly head: Buffer[] = []
  private headBytes = 0
  private readonly tail: Buffer[] = []
  private tailBytes = 0
  total = 0

  constructor(
    private readonly headLimit: number,
    private readonly tailLimit: number,
  ) {}

  push(chunk: Buffer): void {
    this.total += chunk.length
    if (this.headBytes < this.headLimit) {
      this.head.push(chunk)
      this.headBytes += chunk.length
      return
    }
    this.tail.push(chunk)
    this.tailBytes += chunk.length
    while (this.tail.length > 1 && this.tailBytes - this.tail[0]!.length >= this.tailLimit) {
      this.tailBytes -= this.tail.shift()!.length
    }
  }

  /** True when bytes between head and tail were dropped. */
  get gap(): boolean {
    return this.headBytes + this.tailBytes < this.total
  }

  /** Text for parsing; a dropped middle is replaced by a blank line so SSE events stay separated. */
  text(): string {
    const head = Buffer.concat(this.head).toString('utf8')
    if (!this.tail.length) return head
    return head + (this.gap ? '\n\n' : '') + Buffer.concat(this.tail).toString('utf8')
  }
}
