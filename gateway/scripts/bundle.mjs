// `npm start` runs the gateway from one bundled file: Node loads a single module instead of
// compiling every TypeScript source through tsx at each start, which halves the time to ready.
// Packages stay external (loaded from node_modules as usual); our own sources and
// @tracegate/schemas (TypeScript too) are bundled. Dynamic imports (OTLP export, Vite) become
// chunks loaded only when used. Usage: node gateway/scripts/bundle.mjs [outdir]
import { build } from 'esbuild'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const gateway = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const outdir = resolve(process.argv[2] ?? join(gateway, 'dist'))

/** Bare specifiers are packages: left to Node, except our own TypeScript workspace package. */
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@tracegate/') ? undefined : { external: true }))
  },
}

await build({
  entryPoints: { main: join(gateway, 'src/main.ts') },
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [externalPackages],
})
