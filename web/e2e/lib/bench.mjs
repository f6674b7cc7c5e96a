// Timed transfers for bench/browser.mjs: each leecher is timed inside its
// own page (performance.now from adding the torrent to having every byte),
// so Braid and WebTorrent are measured the same way and DevTools round trips
// stay out of the figure.
import { launch } from './browser.mjs'
import { openBraid } from './braidpage.mjs'
import { withTimeout } from './env.mjs'

/**
 * Braid in page downloads torrent bytes and waits, polling in the page,
 * until every byte is stored. Returns {ms, infoHash, stats, longestTaskMs,
 * longTasks: [{atMs, ms}]}.
 * opts go to braid.download (e.g. { peers: ['ws://…'] }).
 */
export function braidTimedDownload (page, torrent, timeoutMs, opts = {}) {
  return withTimeout(page.evaluate(async ({ b64, timeoutMs, opts }) => {
    const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0))
    // The longest main-thread task while downloading (Chromium reports
    // tasks over 50 ms as longtask entries; none means 0).
    // Each long task is kept with when it began, ms after the download
    // started, so a bench can tell start-up work from the transfer's.
    let longestTaskMs = 0
    const longTasks = []
    const t0 = performance.now()
    const seen = e => {
      longestTaskMs = Math.max(longestTaskMs, e.duration)
      if (longTasks.length < 50) longTasks.push({ atMs: Math.round(e.startTime - t0), ms: Math.round(e.duration) })
    }
    const po = new PerformanceObserver(l => { for (const e of l.getEntries()) seen(e) })
    po.observe({ type: 'longtask' })
    const r = await window.braid.download(bytes, opts)
    for (;;) {
      const s = await window.braid.get(r.infoHash)
      if (s.state === 'error') { po.disconnect(); throw new Error('braid: torrent error: ' + s.error) }
      if (s.left === 0 && s.progress >= 1) {
        const ms = performance.now() - t0
        for (const e of po.takeRecords()) seen(e)
        po.disconnect()
        return { ms, infoHash: r.infoHash, stats: s, longestTaskMs, longTasks }
      }
      if (performance.now() - t0 > timeoutMs) throw new Error(`braid: ${(100 * s.progress).toFixed(1)}% after ${timeoutMs} ms, peers ${s.peers}`)
      await new Promise(resolve => setTimeout(resolve, 25))
    }
  }, { b64: Buffer.from(torrent).toString('base64'), timeoutMs, opts }), timeoutMs + 10000, 'Braid page download')
}

/** A fresh browser profile (name) with web/e2e/www/wt.html open. Returns {page, close}. */
export async function openWebTorrentPage (pagesURL, name) {
  const b = await launch({ name, origins: [pagesURL] })
  try {
    const page = await b.ctx.newPage()
    await page.goto(pagesURL + 'wt.html')
    await page.waitForFunction(() => window.wtReady, null, { timeout: 15000 })
    return { page, close: b.close }
  } catch (e) {
    await b.close()
    throw e
  }
}

/**
 * A fresh browser profile (name) with the Braid page at webURL started;
 * braidConfig goes into the page's start config ({worker: false}: the wasm
 * in the page). Returns {page, close}.
 */
export async function openBraidPage (webURL, name, braidConfig = {}) {
  const b = await launch({ name, origins: [webURL], braidConfig })
  try {
    return { page: await openBraid(b.ctx, webURL), close: b.close }
  } catch (e) {
    await b.close()
    throw e
  }
}

/**
 * WebTorrent's browser bundle in page (wt.html) downloads torrent bytes.
 * Returns {ms, files: [{path, length, sha256}], version}.
 */
export function webTorrentTimedDownload (page, torrent, timeoutMs) {
  return withTimeout(page.evaluate(b64 => window.wtDownload(b64), Buffer.from(torrent).toString('base64')),
    timeoutMs, 'WebTorrent page download')
}

/**
 * WebTorrent's browser bundle in page (wt.html) seeds files it fetches from
 * baseURL, as a torrent called name. Returns {infoHash, torrent: Buffer}.
 */
export async function webTorrentSeedInPage (page, baseURL, names, { name, announce, pieceLength }) {
  const r = await withTimeout(page.evaluate(async ({ baseURL, names, name, announce, pieceLength }) => {
    const { default: WebTorrent } = await import('/vendor/webtorrent.min.js')
    const files = []
    for (const n of names) {
      const res = await fetch(baseURL + encodeURIComponent(n))
      if (!res.ok) throw new Error(`fetch ${n}: HTTP ${res.status}`)
      files.push(new File([await res.arrayBuffer()], n))
    }
    const client = new WebTorrent({ tracker: { rtcConfig: { iceServers: [] } } })
    window.seedClient = client
    const torrent = await new Promise((resolve, reject) => {
      client.on('error', e => reject(new Error(String(e))))
      client.seed(files, { name, announce, pieceLength }, resolve)
    })
    const tf = new Uint8Array(torrent.torrentFile)
    let s = ''
    for (let i = 0; i < tf.length; i += 0x8000) s += String.fromCharCode(...tf.subarray(i, i + 0x8000))
    return { infoHash: torrent.infoHash, torrent: btoa(s) }
  }, { baseURL, names, name, announce, pieceLength }), 120000, 'WebTorrent page seeding fetched files')
  return { infoHash: r.infoHash, torrent: Buffer.from(r.torrent, 'base64') }
}

/** The "piece length" of a .torrent (bencoded bytes), or 0. */
export function pieceLengthOf (torrent) {
  const m = /12:piece lengthi(\d+)e/.exec(Buffer.from(torrent).toString('latin1'))
  return m ? Number(m[1]) : 0
}

/** Braid in page removes a torrent and its data, so the profile can time the next one alone. */
export function braidRemove (page, infoHash) {
  return withTimeout(page.evaluate(ih => window.braid.remove(ih, { deleteData: true }), infoHash), 20000, 'braid.remove')
}

/** Destroys the WebTorrent client of wt.html's last download (its torrent leaves the swarm). */
export function webTorrentRemove (page) {
  return withTimeout(page.evaluate(() => new Promise(resolve => window.client ? window.client.destroy(() => resolve()) : resolve())),
    20000, 'WebTorrent client destroy')
}
