// The processes and servers a browser test talks to: Braid's tracker, Braid's
// web server (or a static server over web/), all on 127.0.0.1.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { BRAID, E2E, OUT, WEB, log, withTimeout } from './env.mjs'

/**
 * Starts a process and resolves with the first stdout line matching re.
 * stdout/stderr go to test-output/e2e/<name>.log. Rejects with the output so
 * far when the process exits or time runs out first.
 */
export function spawnUntil (name, cmd, args, re, timeoutMs = 15000) {
  const logPath = path.join(OUT, `${name}.log`)
  const logStream = fs.createWriteStream(logPath, { flags: 'a' })
  logStream.write(`$ ${cmd} ${args.join(' ')}\n`)
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const found = new Promise((resolve, reject) => {
    let buf = ''
    proc.stdout.on('data', d => {
      logStream.write(d)
      out += d
      buf += d
      let i
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 1)
        const m = re.exec(line)
        if (m) resolve(m)
      }
    })
    proc.stderr.on('data', d => { logStream.write(d); out += d })
    proc.on('error', reject)
    proc.on('exit', code => reject(new Error(`${name} exited (${code}) before printing ${re}; output:\n${out.slice(-2000)}`)))
  })
  const stop = () => new Promise(resolve => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve()
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000)
    proc.once('exit', () => { clearTimeout(t); logStream.end(); resolve() })
    proc.kill('SIGTERM')
  })
  return withTimeout(found, timeoutMs, `${name} to print ${re}; output so far:\n${out.slice(-2000)}`)
    .then(m => ({ proc, match: m, stop }))
    .catch(async e => { await stop(); throw e })
}

/**
 * A WebTorrent-compatible tracker: `braid tracker` by default, the npm
 * bittorrent-tracker with BRAID_E2E_NODE_TRACKER=1. Returns {ws, http, stop}.
 */
export async function startTracker () {
  if (process.env.BRAID_E2E_NODE_TRACKER === '1') {
    const { Server } = await import('bittorrent-tracker')
    const server = new Server({ udp: false, http: true, ws: true, stats: false, trustProxy: false })
    await withTimeout(new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', resolve)
    }), 10000, 'bittorrent-tracker to listen')
    const port = server.http.address().port
    log('tracker (node bittorrent-tracker)', port)
    return { ws: `ws://127.0.0.1:${port}`, http: `http://127.0.0.1:${port}/announce`, stop: () => new Promise(resolve => server.close(resolve)) }
  }
  const { match, stop } = await spawnUntil('tracker', BRAID, ['tracker', '--http', '127.0.0.1:0', '--udp', ''], /(ws:\/\/[^\s]+)/)
  const line = match.input
  const httpURL = (/(http:\/\/[^\s]+)/.exec(line) || [])[1]
  log('tracker (braid)', line.trim())
  return { ws: match[1], http: httpURL, stop }
}

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.wasm': 'application/wasm', '.json': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml'
}

/**
 * A static server on 127.0.0.1 over mounts {urlPrefix: directory}; the
 * longest matching prefix wins. Returns {url, stop}.
 */
export async function startStatic (mounts) {
  const entries = Object.entries(mounts).map(([p, d]) => [p, path.resolve(d)]).sort((a, b) => b[0].length - a[0].length)
  const server = http.createServer((req, res) => {
    let pathname
    try { pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname) } catch { res.writeHead(400); return res.end() }
    const hit = entries.find(([p]) => pathname.startsWith(p))
    if (!hit) { res.writeHead(404); return res.end('not found') }
    let file = path.join(hit[1], pathname.slice(hit[0].length))
    if (!file.startsWith(hit[1])) { res.writeHead(403); return res.end() }
    if (pathname.endsWith('/')) file = path.join(file, 'index.html')
    fs.readFile(file, (err, data) => {
      if (err) { res.writeHead(404); return res.end('not found') }
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] || 'application/octet-stream',
        'cache-control': 'no-store',
        'access-control-allow-origin': '*' // the Braid page fetches test content from here
      })
      res.end(data)
    })
  })
  await withTimeout(new Promise(resolve => server.listen(0, '127.0.0.1', resolve)), 10000, 'static server to listen')
  const url = `http://127.0.0.1:${server.address().port}/`
  return { url, stop: () => new Promise(resolve => { server.closeAllConnections?.(); server.close(() => resolve()) }) }
}

/**
 * Serves the Braid page: `braid web --listen 127.0.0.1:0` (first line
 * "web http://127.0.0.1:P/"). With BRAID_E2E_STATIC=1, or while this braid
 * has no `web` command, a static server over web/ instead.
 * Returns {url, stop, kind}.
 */
export async function startWeb () {
  if (process.env.BRAID_E2E_STATIC !== '1') {
    try {
      const { match, stop } = await spawnUntil('web', BRAID, ['web', '--listen', '127.0.0.1:0'], /(http:\/\/[^\s]+)/)
      let url = match[1]
      if (!url.endsWith('/')) url += '/'
      log('web (braid web)', url)
      return { url, stop, kind: 'braid' }
    } catch (e) {
      if (!/unknown command|usage|flag provided but not defined/i.test(String(e))) throw e
      log('braid web unavailable; serving web/ statically:', String(e).split('\n')[0])
    }
  }
  const s = await startStatic({ '/': WEB })
  log('web (static)', s.url)
  return { ...s, kind: 'static' }
}

/**
 * Serves web/e2e/www, the WebTorrent browser bundle under /vendor/ and,
 * when given, a content directory under /content/ (for pages that seed it).
 */
export function startWebTorrentPages (contentDir) {
  const mounts = {
    '/': path.join(E2E, 'www'),
    '/vendor/': path.join(E2E, 'node_modules', 'webtorrent', 'dist')
  }
  if (contentDir) mounts['/content/'] = contentDir
  return startStatic(mounts)
}
