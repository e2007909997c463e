'use strict'
// Real routers for the tests, on loopback ports, stopped when the test is done:
// nexus (Go, built by `make test`) and Crossbar.io (the Python harness in tests/routers).
const { spawn } = require('node:child_process')
const path = require('node:path')

const ROOT = path.resolve(__dirname, '..', '..')

function startRouter (command, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    let out = ''
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${command} did not start:\n${out}`)) }, 120000)
    const onData = (d) => {
      out += d
      const m = /LISTENING (\d+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        child.stdout.off('data', onData)
        child.stdout.resume()
        child.stderr.resume()
        resolve({
          port: Number(m[1]),
          url: `ws://127.0.0.1:${m[1]}/ws`,
          stop: () => new Promise((resolve) => {
            if (child.exitCode !== null) return resolve()
            child.once('exit', resolve)
            child.kill('SIGTERM')
            child.stdin.end()
            setTimeout(() => child.kill('SIGKILL'), 20000).unref()
          })
        })
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', (d) => { out += d })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${command} exited with ${code}:\n${out}`)) })
  })
}

/** The nexus router (announces payload_passthru_mode). */
function startNexus () {
  const bin = process.env.WAMPE2E_NEXUS || path.join(ROOT, 'build', 'nexus-router')
  return startRouter(bin, ['-port', '0']).then((r) => ({ ...r, url: `ws://127.0.0.1:${r.port}/` }))
}

/** Crossbar.io, through the Python harness shared with the Python tests. */
function startCrossbar () {
  const python = process.env.WAMPE2E_PYTHON || path.join(ROOT, '.venv', 'bin', 'python')
  return startRouter(python, [path.join(ROOT, 'tests', 'routers', 'crossbar_router.py')], {
    WAMPE2E_CROSSBAR: process.env.WAMPE2E_CROSSBAR || path.join(ROOT, '.venv-crossbar', 'bin', 'crossbar')
  })
}

module.exports = { startNexus, startCrossbar, ROOT }
