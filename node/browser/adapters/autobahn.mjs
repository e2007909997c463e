// `wampe2e/adapters/autobahn` in the browser: the adapter of the one bundled module.
export { attachAutobahn, wampJsonSerializer, errorUri } from '../dist/wampe2e.mjs'
