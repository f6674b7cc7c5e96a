// Braid's dedicated Worker: runs braid.wasm (the engine, IndexedDB storage,
// WebCrypto hashing, WebSocket peers and trackers, web seed fetches) off
// the page's main thread. braid.js starts it and forwards the API calls;
// WebRTC goes through the page (rtc-worker.js).
//
// Messages from the page: {init: {execURL, rtcURL, wasmURL, config,
// testOffline}} once, then {call: id, method, args} and rtc messages.
// Replies: {ready: {version, methods}} or {failed: {code, message}}, then
// {ret: id, value} / {ret: id, error: {code, message}} and rtc messages.
/* global importScripts, Go */
'use strict'

let api = null
let onRTC = null
const early = [] // rtc messages before the proxy is installed (none expected)

function post (msg, transfer) { self.postMessage(msg, transfer || []) }

// Phases of a start on the Worker's performance timeline (the wasm adds
// its own "braid:" marks there), for benches and DevTools recordings.
function mark (name) { if (self.performance && performance.mark) performance.mark('braid:' + name) }

function errorOf (e) {
  return { code: (e && e.code) || 'internal', message: String((e && e.message) || e) }
}

// A fresh, whole ArrayBuffer behind v moves to the page instead of being copied.
function transferOf (v) {
  if (v instanceof Uint8Array && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) return [v.buffer]
  return []
}

// compile fetches and compiles the wasm (streaming where the server sends
// application/wasm); it needs no imports, so it starts before the Go
// runtime's scripts load.
async function compile (url) {
  const res = await fetch(url)
  if (!res.ok) throw Object.assign(new Error(`braid: fetch ${url}: HTTP ${res.status}`), { code: 'internal' })
  mark('wasm-response')
  if (WebAssembly.compileStreaming && (res.headers.get('content-type') || '').startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(res)
  }
  return WebAssembly.compile(await res.arrayBuffer())
}

// warmDB opens Braid's IndexedDB database, if it exists, while the wasm
// compiles: Chromium's first open of a database holding a large torrent in
// small values takes up to a second or more (it opens its backing store),
// and the wasm's own open then finds it open. No database is created here
// (an upgrade is aborted: the wasm creates the stores). Resolves with the
// connection or null; close it once the wasm has opened its own.
function warmDB (name) {
  return new Promise(resolve => {
    let req
    try {
      req = self.indexedDB && self.indexedDB.open(name)
    } catch (e) {
      req = null
    }
    if (!req) { resolve(null); return }
    req.onupgradeneeded = () => req.transaction.abort()
    req.onerror = e => { e.preventDefault(); resolve(null) }
    req.onsuccess = () => {
      const db = req.result
      db.onversionchange = () => db.close()
      resolve(db)
    }
  })
}

async function init ({ execURL, rtcURL, wasmURL, config, testOffline }) {
  if (testOffline) self.BRAID_TEST_OFFLINE = true
  mark('worker-init')
  const warm = warmDB(typeof config?.dbName === 'string' && config.dbName ? config.dbName : 'braid')
  mark('wasm-fetch')
  const compiled = compile(wasmURL)
  compiled.catch(() => {}) // awaited below, after the scripts
  importScripts(execURL, rtcURL)
  onRTC = self.braidInstallRTC((msg, transfer) => post(msg, transfer))
  for (const m of early.splice(0)) onRTC(m)
  const go = new Go()
  const ready = new Promise(resolve => { self.__braidReady = resolve })
  const instance = await WebAssembly.instantiate(await compiled, go.importObject)
  mark('wasm-instantiated')
  const exited = go.run(instance).then(() => {
    throw Object.assign(new Error('braid: the wasm program exited before it was ready'), { code: 'internal' })
  })
  const a = await Promise.race([ready, exited])
  delete self.__braidReady
  mark('go-ready')
  try {
    await a.start(config)
  } finally {
    warm.then(db => db && db.close())
  }
  mark('started')
  api = a
  return { version: a.version(), methods: Object.keys(a) }
}

async function call ({ call: id, method, args }) {
  try {
    if (!api) throw Object.assign(new Error('braid is not started'), { code: 'not_started' })
    if (typeof api[method] !== 'function') throw Object.assign(new Error(`no method ${method}`), { code: 'bad_argument' })
    const value = await api[method](...(args || []))
    post({ ret: id, value }, transferOf(value))
  } catch (e) {
    post({ ret: id, error: errorOf(e) })
  }
}

self.onmessage = ({ data: m }) => {
  if (!m) return
  if (m.rtc) {
    if (onRTC) onRTC(m)
    else early.push(m)
  } else if (m.call !== undefined) {
    call(m)
  } else if (m.init) {
    init(m.init).then(ready => post({ ready }), e => post({ failed: errorOf(e) }))
  }
}
