// Braid in the browser: loads Go's wasm_exec.js and braid.wasm, waits for
// the wasm to hand over its API, starts the client and returns the API.
//
//   import { loadBraid } from './braid.js'
//   const braid = await loadBraid({ trackers: ['ws://127.0.0.1:8000/'] })
//   const { infoHash } = await braid.download(torrentBytes)
//   const made = await braid.seed(files, { protocol: 'hybrid' })
//
// seed(files, { trackers, name, protocol, pieceLength }) makes a torrent of
// File objects or { name, data } and seeds it; protocol is 'v1' (the
// default, as `braid create --protocol`), 'v2' (BEP 52; v2 clients only) or
// 'hybrid' (both swarms). download, seed and resume resolve with
// { infoHash, infoHashV2, protocol, name } (seed adds the .torrent bytes as
// torrent). stats, get, listFiles, read, fileBlob and remove find a torrent
// by either hash: 40 hex (the v1 one, or a v2-only torrent's v2 hash
// truncated to 20 bytes) or the 64 hex of its v2 hash; stats fields include
// info_hash_v2 and protocol.
//
// By default Braid runs in a dedicated Worker (worker.js): the engine, its
// storage, hashing and WebSocket traffic stay off the page's main thread,
// and the API here forwards each call as a message. The page keeps only
// what browsers offer nowhere else, RTCPeerConnection (rtc-page.js). With
// { worker: false }, or where Worker is missing, the wasm runs in the page.
//
// URLs (wasmURL, execURL, workerURL, rtcURL) are resolved against this
// module's own URL, so the page can live anywhere.

import { hostRTC } from './rtc-page.js'

const DEFAULT_TIMEOUT_MS = 60000

/** An Error carrying one of the API's stable codes ("internal", ...). */
export class BraidError extends Error {
  constructor (code, message) {
    super(message)
    this.name = 'BraidError'
    this.code = code
  }
}

// wasm_exec.js is a classic script that defines globalThis.Go.
function loadClassicScript (url) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script')
    s.src = url
    s.onload = () => resolve()
    s.onerror = () => reject(new BraidError('internal', `braid: cannot load ${url}`))
    document.head.appendChild(s)
  })
}

async function loadGoRuntime (url) {
  if (typeof globalThis.Go === 'function') return
  if (typeof document !== 'undefined') {
    await loadClassicScript(url)
  } else {
    // Workers and other non-DOM hosts: evaluate the script text globally.
    const res = await fetch(url)
    if (!res.ok) throw new BraidError('internal', `braid: fetch ${url}: HTTP ${res.status}`)
    ;(0, eval)(await res.text())
  }
  if (typeof globalThis.Go !== 'function') {
    throw new BraidError('internal', `braid: ${url} did not define Go`)
  }
}

// Streaming compile needs the application/wasm type; fall back to bytes when a
// server sends something else.
async function instantiate (url, imports) {
  const res = await fetch(url)
  if (!res.ok) throw new BraidError('internal', `braid: fetch ${url}: HTTP ${res.status}`)
  if (WebAssembly.instantiateStreaming &&
      (res.headers.get('content-type') || '').startsWith('application/wasm')) {
    return (await WebAssembly.instantiateStreaming(res, imports)).instance
  }
  return (await WebAssembly.instantiate(await res.arrayBuffer(), imports)).instance
}

function withTimeout (promise, ms, what) {
  let timer
  const t = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new BraidError('internal', `braid: ${what} took longer than ${ms} ms`)), ms)
  })
  return Promise.race([promise, t]).finally(() => clearTimeout(timer))
}

let loading = null

// Phases of a start on the page's performance timeline (the Worker and the
// wasm mark theirs on the Worker's), for benches and DevTools recordings.
export function mark (name) {
  if (globalThis.performance && performance.mark) performance.mark('braid:' + name)
}

/**
 * Loads and starts Braid once per page; later calls return the same API.
 * config: { dbName?, iceServers?, iceTransportPolicy?, trackers?,
 * publicTrackers?, restore? } plus loader options
 * { wasmURL = 'braid.wasm', execURL = 'wasm_exec.js', timeoutMs = 60000,
 * worker = true (where Worker exists), workerURL = 'worker.js',
 * rtcURL = 'rtc-worker.js' }.
 */
export function loadBraid (options = {}) {
  if (!loading) {
    loading = load(options).catch(err => { loading = null; throw err })
  }
  return loading
}

// startConfig picks start()'s options out of loadBraid's.
function startConfigOf (config) {
  const startConfig = {}
  // iceServers and publicTrackers absent or null: Braid's public defaults
  // (api.defaults()); [] turns them off.
  for (const k of ['dbName', 'iceServers', 'iceTransportPolicy', 'trackers', 'publicTrackers', 'restore']) {
    if (config[k] !== undefined) startConfig[k] = config[k]
  }
  return startConfig
}

function load (options = {}) {
  const useWorker = options.worker ?? typeof Worker === 'function'
  return useWorker ? loadWorker(options) : loadInPage(options)
}

async function loadInPage ({ wasmURL = 'braid.wasm', execURL = 'wasm_exec.js', timeoutMs = DEFAULT_TIMEOUT_MS, worker, workerURL, rtcURL, ...config } = {}) {
  const base = import.meta.url
  await loadGoRuntime(new URL(execURL, base).href)
  const go = new globalThis.Go()
  const ready = new Promise(resolve => { globalThis.__braidReady = resolve })
  mark('wasm-fetch')
  const instance = await withTimeout(instantiate(new URL(wasmURL, base).href, go.importObject), timeoutMs, 'loading braid.wasm')
  mark('wasm-instantiated')
  // go.run resolves only when the Go program exits, which Braid never does
  // while it runs: an early exit is a failure.
  const exited = go.run(instance).then(() => {
    throw new BraidError('internal', 'braid: the wasm program exited before it was ready')
  })
  const api = await withTimeout(Promise.race([ready, exited]), timeoutMs, 'starting the wasm')
  delete globalThis.__braidReady
  mark('go-ready')
  await api.start(startConfigOf(config))
  return api
}

// errorFrom rebuilds a rejected call's Error (with its stable code).
function errorFrom ({ code, message }) {
  return Object.assign(new Error(message), { code })
}

async function loadWorker ({
  wasmURL = 'braid.wasm', execURL = 'wasm_exec.js', workerURL = 'worker.js', rtcURL = 'rtc-worker.js',
  timeoutMs = DEFAULT_TIMEOUT_MS, worker, ...config
} = {}) {
  const base = import.meta.url
  const url = u => new URL(u, base).href
  mark('worker-create')
  const w = new Worker(url(workerURL), { name: 'braid' })
  const rtc = hostRTC((msg, transfer) => w.postMessage(msg, transfer))
  // Messages and batches crossing to and from the Worker, for tests and benches.
  globalThis.__braidRTCStats = rtc.stats
  const pending = new Map()
  let seq = 0
  let started
  const ready = new Promise((resolve, reject) => { started = { resolve, reject } })
  w.onmessage = ({ data: m }) => {
    if (m.rtc) {
      rtc.onMessage(m)
    } else if (m.ret !== undefined) {
      const p = pending.get(m.ret)
      pending.delete(m.ret)
      if (p) m.error ? p.reject(errorFrom(m.error)) : p.resolve(m.value)
    } else if (m.ready) {
      started.resolve(m.ready)
    } else if (m.failed) {
      started.reject(new BraidError(m.failed.code, m.failed.message))
    }
  }
  // An uncaught error in the Worker before it is ready fails the start;
  // later ones (a handler's exception) leave it running, and each call
  // still gets its answer.
  w.onerror = e => {
    started.reject(new BraidError('internal', `braid: worker: ${e.message || 'failed to load'}`))
  }
  w.postMessage({
    init: {
      execURL: url(execURL),
      rtcURL: url(rtcURL),
      wasmURL: url(wasmURL),
      config: startConfigOf(config),
      testOffline: !!globalThis.BRAID_TEST_OFFLINE
    }
  })
  let info
  try {
    info = await withTimeout(ready, timeoutMs, 'starting the wasm worker')
    mark('worker-ready')
  } catch (e) {
    w.terminate()
    rtc.close()
    throw e
  }
  const api = {}
  for (const method of info.methods) {
    api[method] = (...args) => new Promise((resolve, reject) => {
      const id = ++seq
      pending.set(id, { resolve, reject })
      w.postMessage({ call: id, method, args })
    })
  }
  // version() is synchronous in the wasm: keep it so.
  api.version = () => info.version
  return api
}
