// Bundles the wasm build of wampe2e (after `make wasm` has run wasm-bindgen into
// ../wasm/) with esbuild:
//   dist/wampe2e.mjs   the package's `browser` export: one ES module with the wasm
//                      inlined, the API of the Node addon and both adapters; a
//                      <script type="module"> imports it without a bundler.
//   dist/wampe2e-wasm.cjs  the same API as a CommonJS module for Node, for the
//                      tests that run the Node API suite against the wasm build.
//   dist/*.d.ts, dist/wampe2e.d.mts, dist/adapters/*.d.ts  the addon's TypeScript
//                      types with Uint8Array where the addon gives a Buffer.
// The adapters' `require('../index.js')` (the native addon under Node) resolves to
// the wasm API here.
import * as esbuild from 'esbuild'
import fs from 'node:fs'
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

// The types: the addon's, with the browser build's Uint8Array for Buffer.
const nodeDir = path.join(here, '..')
const dist = path.join(here, 'dist')
const browserTypes = (text) => text.replace(/\bBuffer\b/g, 'Uint8Array')
fs.mkdirSync(path.join(dist, 'adapters'), { recursive: true })
fs.writeFileSync(path.join(dist, 'native.d.ts'), browserTypes(fs.readFileSync(path.join(nodeDir, 'native.d.ts'), 'utf8')))
fs.writeFileSync(path.join(dist, 'wampe2e.d.mts'),
  fs.readFileSync(path.join(nodeDir, 'index.d.ts'), 'utf8').replace("from './native'", "from './native.js'") +
  "export { attachAutobahn, wampJsonSerializer } from './adapters/autobahn.js'\n" +
  "export { attachWampy, Sealed } from './adapters/wampy.js'\n" +
  "export { errorUri } from './adapters/autobahn.js'\n")
for (const name of ['autobahn', 'wampy']) {
  const text = fs.readFileSync(path.join(nodeDir, 'adapters', `${name}.d.ts`), 'utf8')
  fs.writeFileSync(path.join(dist, 'adapters', `${name}.d.ts`), browserTypes(text.replace("from '../index'", "from '../wampe2e.mjs'")))
}
