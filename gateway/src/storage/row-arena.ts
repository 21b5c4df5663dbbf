const NEWLINE = 0x0a

/**
 * One batch's encoded rows, back to back in a buffer that is used again once the batch is inserted.
 * A fresh Buffer per recorder batch is held until its insert, outlives two scavenges and then
 * waits for a full collection: tens of MB of dead memory at the peak. Rows placed here leave no
 * garbage, and the batch's insert body is the filled part as it is, with no join.
 */
export class RowArena {
  private used = 0
  private puts = 0

  constructor(readonly buf: Buffer) {}

  /** The string's UTF-8 bytes after the rows before it (a newline between), or null when they do not fit. */
  put(text: string): Buffer | null {
    const start = this.used ? this.used + 1 : 0
    // Three bytes per UTF-16 unit at most; measured exactly only near the end.
    if (start + text.length * 3 > this.buf.length && start + Buffer.byteLength(text) > this.buf.length) return null
    if (start) this.buf[this.used] = NEWLINE
    const end = start + this.buf.write(text, start)
    this.used = end
    this.puts++
    return this.buf.subarray(start, end)
  }

  /**
   * The rows placed so far, joined by newlines, when they are exactly `payloads` (each one placed
   * here, none placed and left out): then they are the insert's whole body, with no join. Null when
   * some of the batch's rows went to buffers of their own, or some placed here were dropped.
   */
  bodyOf(payloads: readonly Buffer[]): Buffer | null {
    if (payloads.length !== this.puts) return null
    for (const p of payloads) if (p.buffer !== this.buf.buffer) return null
    return this.buf.subarray(0, this.used)
  }

  reset(): void {
    this.used = 0
    this.puts = 0
  }
}

/**
 * A few arenas, handed out to batches and given back when their rows are inserted or dropped from
 * memory. When none is free (inserts fall behind) a batch gets none and its rows take fresh buffers,
 * so the memory kept here stays bounded: `count` × the most any batch wrote into one.
 */
export class ArenaPool {
  private readonly free: RowArena[] = []
  private made = 0

  constructor(
    private readonly count: number,
    private readonly bytes: number,
  ) {}

  take(): RowArena | null {
    const arena = this.free.pop()
    if (arena) return arena
    if (this.made >= this.count) return null
    this.made++
    // Pages are touched only as rows are written: a large arena costs what its batches fill.
    return new RowArena(Buffer.allocUnsafeSlow(this.bytes))
  }

  give(arena: RowArena | null | undefined): void {
    if (!arena) return
    arena.reset()
    this.free.push(arena)
  }
}
