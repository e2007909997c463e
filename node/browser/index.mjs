// The browser entry of the npm package `wampe2e` (bundled into dist/wampe2e.mjs by
// build.mjs): the wasm API and both adapters, one module instance for all of them.
export * from './api.mjs'
export { attachAutobahn, wampJsonSerializer } from '../adapters/autobahn.js'
export { attachWampy, Sealed } from '../adapters/wampy.js'
export { errorUri } from '../adapters/refusals.js'
