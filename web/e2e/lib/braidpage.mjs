// Driving Braid inside a page: open the UI, call window.braid, wait for
// completion, hash what it stored.
import { log, waitFor, withTimeout } from './env.mjs'

/** Opens the Braid page and waits until window.braid is started. */
export async function openBraid (ctx, webUrl, { query = '', timeoutMs = 60000 } = {}) {
  const page = await ctx.newPage()
  await page.goto(webUrl + query, { timeout: 30000 })
  await waitReady(page, timeoutMs)
  return page
}

/** Waits for app.js to finish starting; fails fast with the page's error line. */
export async function waitReady (page, timeoutMs = 60000) {
  const state = await page.waitForFunction(() => {
    const s = document.querySelector('#status')
    if (s && s.dataset.state === 'failed') return 'failed: ' + (document.querySelector('#error-text')?.textContent || '')
    return document.documentElement.dataset.ready === 'true' && window.braid ? 'ready' : false
  }, null, { timeout: timeoutMs, polling: 200 }).then(h => h.jsonValue())
  if (state !== 'ready') throw new Error(`Braid page did not start: ${state}`)
}

/** api.download with torrent bytes (sent as base64) or a magnet string. */
export function download (page, src, opts = {}) {
  const arg = typeof src === 'string' ? { magnet: src, opts } : { b64: Buffer.from(src).toString('base64'), opts }
  return withTimeout(page.evaluate(async ({ magnet, b64, opts }) => {
    const s = magnet || Uint8Array.from(atob(b64), c => c.charCodeAt(0))
    return window.braid.download(s, opts)
  }, arg), 30000, 'braid.download')
}

/** api.seed of in-memory files [{name, data: Buffer}]; returns {infoHash, name, torrent: Buffer}. */
export async function seed (page, files, opts) {
  const arg = { files: files.map(f => ({ name: f.name, b64: Buffer.from(f.data).toString('base64') })), opts }
  const r = await withTimeout(page.evaluate(async ({ files, opts }) => {
    const fs = files.map(f => ({ name: f.name, data: Uint8Array.from(atob(f.b64), c => c.charCodeAt(0)) }))
    const r = await window.braid.seed(fs, opts)
    let s = ''
    for (let i = 0; i < r.torrent.length; i += 0x8000) s += String.fromCharCode(...r.torrent.subarray(i, i + 0x8000))
    return { infoHash: r.infoHash, name: r.name, torrent: btoa(s) }
  }, arg), 120000, 'braid.seed')
  return { ...r, torrent: Buffer.from(r.torrent, 'base64') }
}

/**
 * api.seed of files the page fetches itself from baseURL (a CORS static
 * server), so megabytes do not cross the DevTools protocol.
 * Returns {infoHash, infoHashV2, protocol, name, torrent: Buffer}.
 */
export async function seedFromURLs (page, baseURL, names, opts) {
  const r = await withTimeout(page.evaluate(async ({ baseURL, names, opts }) => {
    const files = []
    for (const name of names) {
      const res = await fetch(baseURL + encodeURIComponent(name))
      if (!res.ok) throw new Error(`fetch ${name}: HTTP ${res.status}`)
      files.push({ name, data: new Uint8Array(await res.arrayBuffer()) })
    }
    const r = await window.braid.seed(files, opts)
    let s = ''
    for (let i = 0; i < r.torrent.length; i += 0x8000) s += String.fromCharCode(...r.torrent.subarray(i, i + 0x8000))
    return { infoHash: r.infoHash, infoHashV2: r.infoHashV2, protocol: r.protocol, name: r.name, torrent: btoa(s) }
  }, { baseURL, names, opts }), 120000, 'braid.seed of fetched files')
  return { ...r, torrent: Buffer.from(r.torrent, 'base64') }
}

export function stats (page, infoHash) {
  return withTimeout(page.evaluate(ih => window.braid.get(ih), infoHash), 10000, 'braid.get')
}

/**
 * Polls stats until the torrent is complete (progress 1, left 0); logs
 * progress every few seconds. Returns {stats, ms}.
 */
export async function waitComplete (page, infoHash, timeoutMs, label = 'braid') {
  const t0 = Date.now()
  let lastLog = 0
  const st = await diagnose(page, infoHash, () => waitFor(async () => {
    const s = await stats(page, infoHash)
    if (s.state === 'error') throw new Error(`${label}: torrent error: ${s.error}`)
    if (Date.now() - lastLog > 3000) {
      lastLog = Date.now()
      log(`${label}: ${s.state} ${(100 * s.progress).toFixed(1)}% peers ${s.peers} ${JSON.stringify(s.peers_by_transport || {})} ↓${((s.speed?.download || 0) / 1048576).toFixed(1)} MiB/s`)
    }
    return s.left === 0 && s.progress >= 1 ? s : null
  }, timeoutMs, `${label} to complete ${infoHash}`, 300))
  return { stats: st, ms: Date.now() - t0 }
}

/** Runs fn; when it fails, adds the torrent's tracker and peer state to the error. */
export async function diagnose (page, infoHash, fn) {
  try {
    return await fn()
  } catch (e) {
    let detail = ''
    try {
      const s = await withTimeout(page.evaluate(ih => window.braid.stats(ih, ['state', 'progress', 'peers', 'peers_by_transport', 'trackers', 'error']), infoHash), 5000, 'diagnostic stats')
      detail = '\n  braid state: ' + JSON.stringify(s)
    } catch (e2) { detail = `\n  (no diagnostic stats: ${e2.message})` }
    e.message += detail
    throw e
  }
}

/** SHA-256 of every file Braid holds for a torrent: [{path, length, sha256}]. */
export function fileHashes (page, infoHash) {
  return withTimeout(page.evaluate(async ih => {
    const hex = b => [...new Uint8Array(b)].map(x => x.toString(16).padStart(2, '0')).join('')
    const out = []
    for (const f of await window.braid.listFiles(ih)) {
      const buf = await (await window.braid.fileBlob(ih, f.index)).arrayBuffer()
      out.push({ path: f.path, length: buf.byteLength, sha256: hex(await crypto.subtle.digest('SHA-256', buf)) })
    }
    return out
  }, infoHash), 60000, 'hashing files in the page')
}
