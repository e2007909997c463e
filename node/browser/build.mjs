// Bundles the wasm build of wampe2e (after `make wasm` has run wasm-bindgen into
// ../wasm/) with esbuild:
//   dist/wampe2e.mjs   the package's `browser` export: one ES module with the wasm
//                      inlined, the API of the Node addon and both adapters; a
//                      <script type="module"> imports it without a bundler.
//   dist/wampe2e-wasm.cjs  the same API as a CommonJS module for Node, for the
//                      tests that run the Node API suite against the wasm build.
// The adapters' `require('../index.js')` (the native addon under Node) resolves to
// the wasm API here.
import * as esbuild from 'esbuild'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const api = path.join(here, 'api.mjs')

const wasmApi = {
  name: 'wampe2e-wasm-api',
  setup (build) {
    build.onResolve({ filter: /^\.\.\/index\.js$/ }, (args) =>
      path.basename(path.dirname(args.importer)) === 'adapters' ? { path: api } : undefined)
  }
}

const common = {
  bundle: true,
  loader: { '.wasm': 'binary' },
  plugins: [wasmApi],
  legalComments: 'none',
  logLevel: 'warning',
  // wasm-bindgen's async init() names its .wasm file by import.meta.url; the
  // bundles instantiate the inlined bytes with initSync() and never call it.
  logOverride: { 'empty-import-meta': 'silent' }
}

await esbuild.build({
  ...common,
  entryPoints: [path.join(here, 'index.mjs')],
  outfile: path.join(here, 'dist', 'wampe2e.mjs'),
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  minify: true
})

await esbuild.build({
  ...common,
  entryPoints: [api],
  outfile: path.join(here, 'dist', 'wampe2e-wasm.cjs'),
  format: 'cjs',
  platform: 'node',
  // Binaries as Buffers, as the native addon gives them (wasm/src/convert.rs).
  define: { __WAMPE2E_NODE_BUFFER__: 'true' },
  target: 'node18'
})
