'use strict'
// `node --require ./test/wasm/preload.js`: the package's main module (`index.js`,
// the native addon) resolves to the wasm build instead (browser/dist/wampe2e-wasm.cjs,
// made by `make wasm`), for the tests and the adapters alike. `make test-wasm` runs
// the Node API suites this way, so the wasm build is held to the same tests.
const Module = require('node:module')
const path = require('node:path')

const main = path.resolve(__dirname, '..', '..', 'index.js')
const wasm = path.resolve(__dirname, '..', '..', 'browser', 'dist', 'wampe2e-wasm.cjs')
const resolve = Module._resolveFilename
Module._resolveFilename = function (request, parent, ...rest) {
  const found = resolve.call(this, request, parent, ...rest)
  return found === main ? wasm : found
}

// The suites must really have run on the wasm build: a run that never loaded it
// (the hook no longer matching) fails instead of passing on the addon.
// (Checked in the test files' processes, which node --test marks; not in the runner.)
process.on('exit', () => {
  if (process.env.NODE_TEST_CONTEXT && !require.cache[wasm]) {
    console.error(`test/wasm/preload.js: ${wasm} was never loaded: the suites ran on something else`)
    process.exitCode = 1
  }
})
