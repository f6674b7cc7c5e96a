// Paths, prerequisites and timing helpers shared by the browser tests.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const E2E = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const WEB = path.resolve(E2E, '..')
export const ROOT = path.resolve(WEB, '..')
export const OUT = process.env.BRAID_E2E_OUT || path.join(ROOT, 'test-output', 'e2e')
export const BRAID = process.env.BRAID_BIN || path.join(ROOT, 'bin', 'braid')
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium'

fs.mkdirSync(OUT, { recursive: true })

// Test mode for every braid these tests start: a public default (STUN,
// trackers, DHT routers) that reaches a node makes it refuse to start
// (node.TestOffline), so no test touches the internet by accident.
process.env.BRAID_TEST_OFFLINE = '1'

/** Rejects with `what` once ms pass: no wait in these tests is unbounded. */
export function withTimeout (promise, ms, what) {
  let timer
  const t = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what}`)), ms)
  })
  return Promise.race([promise, t]).finally(() => clearTimeout(timer))
}

export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

/** Polls fn until it returns a truthy value; the last value goes into the error. */
export async function waitFor (fn, ms, what, every = 250) {
  const deadline = Date.now() + ms
  let last
  for (;;) {
    last = await fn()
    if (last) return last
    if (Date.now() > deadline) throw new Error(`timeout after ${ms} ms: ${what} (last: ${JSON.stringify(last)})`)
    await sleep(every)
  }
}

/** Fails (never skips) when something the browser tests need is absent. */
export function requirePrereqs ({ wasm = true, braid = true } = {}) {
  const missing = []
  if (!fs.existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (apt-get install chromium)`)
  if (!fs.existsSync(path.join(E2E, 'node_modules', 'playwright-core'))) missing.push('web/e2e/node_modules (cd web/e2e && npm ci --ignore-scripts)')
  if (braid && !fs.existsSync(BRAID)) missing.push(`${BRAID} (make build)`)
  if (wasm && !fs.existsSync(path.join(WEB, 'braid.wasm'))) missing.push('web/braid.wasm (make web)')
  if (wasm && !fs.existsSync(path.join(WEB, 'wasm_exec.js'))) missing.push('web/wasm_exec.js (make web)')
  if (missing.length) throw new Error('e2e prerequisites missing: ' + missing.join(', '))
}

const logFile = path.join(OUT, 'e2e.log')

/** Logs to stdout and test-output/e2e/e2e.log. */
export function log (...args) {
  const line = `[${new Date().toISOString().slice(11, 23)}] ` + args.map(a => typeof a === 'string' ? a : JSON.stringify(a)).join(' ')
  console.log(line)
  fs.appendFileSync(logFile, line + '\n')
}

/** Records one measured transfer in throughput.jsonl and the log. */
export function recordThroughput (pair, bytes, ms) {
  const mibs = bytes / (1 << 20) / (ms / 1000)
  const rec = { pair, bytes, ms: Math.round(ms), MiBps: Number(mibs.toFixed(2)), at: new Date().toISOString() }
  fs.appendFileSync(path.join(OUT, 'throughput.jsonl'), JSON.stringify(rec) + '\n')
  log(`throughput ${pair}: ${(bytes / (1 << 20)).toFixed(1)} MiB in ${(ms / 1000).toFixed(2)} s = ${mibs.toFixed(2)} MiB/s`)
  return rec
}

/** Cleanup stack run by the test's after hook (reverse order, errors logged). */
export class Cleanup {
  constructor () { this.fns = [] }
  add (fn) { this.fns.push(fn); return fn }
  async run () {
    while (this.fns.length) {
      const fn = this.fns.pop()
      try { await withTimeout(Promise.resolve().then(fn), 15000, 'cleanup step') } catch (e) { log('cleanup:', String(e)) }
    }
  }
}
