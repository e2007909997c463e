// `wampe2e/adapters/wampy` in the browser: the adapter of the one bundled module.
export { attachWampy, Sealed, errorUri } from '../dist/wampe2e.mjs'
