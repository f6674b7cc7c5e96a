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
// URLs (wasmURL, execURL) are resolved against this module's own URL, so the
// page can live anywhere.

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

/**
 * Loads and starts Braid once per page; later calls return the same API.
 * config: { dbName?, iceServers?, iceTransportPolicy?, trackers?,
 * publicTrackers?, restore? } plus loader options
 * { wasmURL = 'braid.wasm', execURL = 'wasm_exec.js', timeoutMs = 60000 }.
 */
export function loadBraid (options = {}) {
  if (!loading) {
    loading = load(options).catch(err => { loading = null; throw err })
  }
  return loading
}

async function load ({ wasmURL = 'braid.wasm', execURL = 'wasm_exec.js', timeoutMs = DEFAULT_TIMEOUT_MS, ...config } = {}) {
  const base = import.meta.url
  await loadGoRuntime(new URL(execURL, base).href)
  const go = new globalThis.Go()
  const ready = new Promise(resolve => { globalThis.__braidReady = resolve })
  const instance = await withTimeout(instantiate(new URL(wasmURL, base).href, go.importObject), timeoutMs, 'loading braid.wasm')
  // go.run resolves only when the Go program exits, which Braid never does
  // while it runs: an early exit is a failure.
  const exited = go.run(instance).then(() => {
    throw new BraidError('internal', 'braid: the wasm program exited before it was ready')
  })
  const api = await withTimeout(Promise.race([ready, exited]), timeoutMs, 'starting the wasm')
  delete globalThis.__braidReady
  const startConfig = {}
  // iceServers and publicTrackers absent or null: Braid's public defaults
  // (api.defaults()); [] turns them off.
  for (const k of ['dbName', 'iceServers', 'iceTransportPolicy', 'trackers', 'publicTrackers', 'restore']) {
    if (config[k] !== undefined) startConfig[k] = config[k]
  }
  await api.start(startConfig)
  return api
}
