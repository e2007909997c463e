'use strict'
// The browser bundle made from the packed tarball: the wasm inlined (its magic
// number and version, "\0asm\1\0\0\0", base64), no native addon or Node-only module.
const fs = require('node:fs')
const text = fs.readFileSync(process.argv[2], 'utf8')
const problems = []
if (!text.includes('AGFzbQEAAAA')) problems.push('no inlined WebAssembly module')
for (const s of ['native.js', '.node"', 'napi', 'require("fs")', 'require("node:', 'process.dlopen']) {
  if (text.includes(s)) problems.push(`contains ${JSON.stringify(s)}`)
}
if (problems.length) {
  console.error(`browser bundle ${process.argv[2]}: ${problems.join('; ')}`)
  process.exit(1)
}
console.log(`browser bundle: ${(text.length / 1024).toFixed(0)} KiB, wasm inlined, no native addon`)
