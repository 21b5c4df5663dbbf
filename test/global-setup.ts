import { buildExplorerIfStale } from '../gateway/src/explorer/build.ts'

/** Build the explorer once, before any test file starts a gateway that serves it. */
export default async function setup(): Promise<void> {
  await buildExplorerIfStale({ info: () => undefined, warn: (...a: unknown[]) => console.warn(...a) })
}
