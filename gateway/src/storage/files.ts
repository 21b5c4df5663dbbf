import { chmodSync, mkdirSync } from 'node:fs'

/** Spans carry request and response bodies: what the gateway writes is for its own user only. */
export const PRIVATE_FILE = 0o600
export const PRIVATE_DIR = 0o700

/**
 * Create `dir` (and missing parents) private, and make an existing one private too: mkdir
 * leaves the mode of an existing directory alone, and earlier versions created them 0755.
 */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR })
  try {
    chmodSync(dir, PRIVATE_DIR)
  } catch (err) {
    // A directory owned by another user (a mounted volume) keeps the mode its owner chose.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err
  }
}
