#!/usr/bin/env node
// `npx tracegate …`: the CLI runs from TypeScript source through tsx, like the gateway itself.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli/main.ts')
