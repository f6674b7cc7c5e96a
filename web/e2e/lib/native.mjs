// Native peers for the cross-transport tests: the braid CLI, libtorrent
// (python3-libtorrent through test/interop/peers/lt_peer.py) and aria2c.
// Every process logs to test-output/e2e/<name>.log, every wait is bounded,
// and a missing program fails the test instead of skipping it.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { stats } from './braidpage.mjs'
import { sha256 } from './content.mjs'
import { BRAID, OUT, ROOT, log, withTimeout } from './env.mjs'

export const PYTHON = process.env.BRAID_E2E_PYTHON || '/usr/bin/python3'
export const LT_PEER = path.join(ROOT, 'test', 'interop', 'peers', 'lt_peer.py')
export const ARIA2C = process.env.BRAID_E2E_ARIA2C || 'aria2c'

/** Fails (never skips) when a native peer program is absent. */
export function requireNative ({ libtorrent = false, aria2 = false } = {}) {
  const missing = []
  if (!fs.existsSync(BRAID)) missing.push(`${BRAID} (make build)`)
  if (libtorrent) {
    if (!fs.existsSync(LT_PEER)) missing.push(LT_PEER)
    const r = spawnSync(PYTHON, ['-c', 'import libtorrent'], { timeout: 10000 })
    if (r.status !== 0) missing.push(`${PYTHON} with the libtorrent module (apt-get install python3-libtorrent)`)
  }
  if (aria2) {
    const r = spawnSync(ARIA2C, ['--version'], { timeout: 10000 })
    if (r.status !== 0) missing.push(`${ARIA2C} (apt-get install aria2)`)
  }
  if (missing.length) throw new Error('native peers missing: ' + missing.join(', '))
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir (name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `braid-e2e-${name}-`))
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

/** A TCP port free on 127.0.0.1 right now (for programs that cannot take port 0). */
export function freePort () {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

/**
 * Runs a program, logging to OUT/<name>.log and handing each stdout line to
 * onLine. Returns {proc, exited: Promise<code>, output(), stop()}.
 */
export function startProcess (name, cmd, args, { onLine = () => {}, cwd } = {}) {
  const logStream = fs.createWriteStream(path.join(OUT, `${name}.log`), { flags: 'a' })
  logStream.write(`$ ${cmd} ${args.join(' ')}\n`)
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd })
  let tail = ''
  const keep = d => { tail = (tail + d).slice(-4000) }
  let buf = ''
  proc.stdout.on('data', d => {
    logStream.write(d)
    keep(d)
    buf += d
    let i
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i)
      buf = buf.slice(i + 1)
      try { onLine(line) } catch (e) { log(`${name}: line handler: ${e}`) }
    }
  })
  proc.stderr.on('data', d => { logStream.write(d); keep(d) })
  const exited = new Promise(resolve => {
    proc.on('error', e => { keep(`spawn error: ${e}\n`); resolve(-1) })
    proc.on('exit', (code, signal) => resolve(code === null ? signal : code))
  })
  exited.then(() => logStream.end())
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return exited
    proc.kill('SIGTERM')
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(t)
  }
  return { proc, exited, output: () => tail, stop }
}

/**
 * Resolves with check()'s first truthy value, re-running it whenever the
 * process reports something (waiters); rejects when check throws or after
 * ms, with describe() giving the state at that moment.
 */
function waitEvent (waiters, check, ms, describe) {
  return new Promise((resolve, reject) => {
    let timer
    const done = () => { waiters.delete(run); clearTimeout(timer) }
    const run = () => {
      let v
      try { v = check() } catch (e) { done(); reject(e); return }
      if (v) { done(); resolve(v) }
    }
    timer = setTimeout(() => { done(); reject(new Error(`timeout after ${ms} ms: ${describe()}`)) }, ms)
    waiters.add(run)
    run()
  })
}

/**
 * braid create: writes a .torrent for path with the given announce URLs
 * (each its own tier) and returns its bytes. opts: pieceLength, protocol.
 */
export function braidCreate (srcPath, outFile, announce = [], { pieceLength, protocol } = {}) {
  const args = ['create', '-o', outFile]
  for (const u of announce) args.push('--announce', u)
  if (pieceLength) args.push('--piece-length', String(pieceLength))
  if (protocol) args.push('--protocol', protocol) // v1 (default), v2, hybrid
  args.push(srcPath)
  const r = spawnSync(BRAID, args, { timeout: 60000, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`braid create failed (${r.status}): ${r.stderr || r.stdout}`)
  log('braid create:', r.stdout.trim())
  return fs.readFileSync(outFile)
}

/**
 * Runs `braid download|seed --json` with loopback defaults (no DHT, TCP on
 * 127.0.0.1:0, WebRTC on loopback). opts: mode ('download'|'seed'), dir,
 * peers, wsTrackers, wsListen, noWebRTC, seed (keep seeding), ice (ICE flags
 * in place of --stun none), extra args; listen (TCP address, default
 * 127.0.0.1:0), rtcLoopback (default true: ICE on loopback only) and wrap
 * ((cmd, args) → [cmd, args], e.g. lan.mjs's, to run it in a namespace).
 * Resolves once it prints its listening line, with {addr, ws, ih,
 * last(), complete(ms), stop(), output()}.
 */
export async function startBraid (name, torrentFile, opts = {}) {
  const { mode = 'download', dir, peers = [], wsTrackers = [], wsListen, noWebRTC = false, seed = true, ice = ['--stun', 'none'], extra = [] } = opts
  const { listen = '127.0.0.1:0', rtcLoopback = true, wrap = (cmd, args) => [cmd, args] } = opts
  const state = tempDir(`${name}-state`)
  const args = [mode, '--json', '--no-dht', '--listen', listen, '--dir', dir, '--state-dir', state.dir]
  if (!noWebRTC) args.push(...(rtcLoopback ? ['--rtc-loopback'] : []), ...ice)
  else args.push('--no-webrtc')
  for (const p of peers) args.push('--peer', p)
  for (const u of wsTrackers) args.push('--ws-tracker', u)
  if (wsListen) args.push('--ws-listen', wsListen)
  if (mode === 'download' && seed) args.push('--seed')
  if (process.env.BRAID_E2E_VERBOSE !== '0') args.push('--verbose') // diagnostics into the log (BRAID_E2E_VERBOSE=0 turns them off)
  args.push(...extra, torrentFile)

  let listening, last = null, completeEv = null, errorEv = null
  const waiters = new Set()
  const wake = () => { for (const w of waiters) w() }
  const p = startProcess(name, ...wrap(BRAID, args), {
    onLine (line) {
      if (!line.startsWith('{')) return
      const ev = JSON.parse(line)
      if (ev.type === 'listening') listening = ev
      else if (ev.type === 'progress') last = ev
      else if (ev.type === 'complete') completeEv = ev
      else if (ev.type === 'error') errorEv = ev
      wake()
    }
  })
  let code
  p.exited.then(c => { code = c; wake() })
  const until = (pred, ms, what) => waitEvent(waiters, () => {
    const v = pred()
    if (v) return v
    if (errorEv || code !== undefined) {
      throw new Error(`${name}: ${errorEv ? 'error ' + JSON.stringify(errorEv) : 'exited ' + code} while waiting for ${what}; output:\n${p.output()}`)
    }
  }, ms, () => `${name}: ${what}; last progress ${JSON.stringify(last)}; output:\n${p.output().slice(-1500)}`)
  try {
    await until(() => listening, 20000, 'its listening line')
  } catch (e) {
    await p.stop()
    state.cleanup()
    throw e
  }
  log(`${name}: listening`, listening)
  return {
    addr: listening.addr,
    ws: listening.ws,
    proc: p.proc,
    last: () => last,
    output: p.output,
    /** Waits for the complete event; returns it with the last progress. */
    complete: ms => until(() => completeEv && { ...completeEv, progress: last }, ms, 'complete'),
    /** Waits until the last progress line satisfies pred. */
    progressWhere: (pred, ms, what) => until(() => last && pred(last) && last, ms, what),
    stop: async () => { await p.stop(); state.cleanup() }
  }
}

/**
 * libtorrent through lt_peer.py: mode 'seed' (trusts dir) or 'leech'.
 * Resolves once it reports ready, with {port, addr, last(), complete(ms),
 * stop()}. peers are dialled with connect_peer every 2 s.
 */
export async function startLibtorrent (name, mode, torrentFile, dir, { peers = [], keepSeeding = false } = {}) {
  const args = [LT_PEER, mode, torrentFile, dir, '--listen', '127.0.0.1:0']
  for (const pe of peers) args.push('--peer', pe)
  if (keepSeeding) args.push('--keep-seeding')
  let ready = null, last = null, done = null, code
  const waiters = new Set()
  const wake = () => { for (const w of waiters) w() }
  const p = startProcess(name, PYTHON, args, {
    onLine (line) {
      if (!line.startsWith('{')) return
      const ev = JSON.parse(line)
      if (ev.type === 'ready') ready = ev
      else if (ev.type === 'progress') last = ev
      else if (ev.type === 'complete') done = ev
      wake()
    }
  })
  p.exited.then(c => { code = c; wake() })
  const until = (pred, ms, what) => waitEvent(waiters, () => {
    const v = pred()
    if (v) return v
    if (code !== undefined) throw new Error(`${name}: exited ${code} while waiting for ${what}; output:\n${p.output()}`)
  }, ms, () => `${name}: ${what}; last ${JSON.stringify(last)}; output:\n${p.output().slice(-1500)}`)
  try {
    await until(() => ready, 30000, mode === 'seed' ? 'seeding' : 'ready')
  } catch (e) {
    await p.stop()
    throw e
  }
  log(`${name}: libtorrent ${mode} on 127.0.0.1:${ready.port}`)
  return {
    port: ready.port,
    addr: `127.0.0.1:${ready.port}`,
    last: () => last,
    complete: ms => until(() => done, ms, 'complete'),
    stop: p.stop
  }
}

/**
 * aria2c as a leecher: exits 0 once the download is complete and verified
 * (--seed-time=0). It finds peers only through the torrent's HTTP tracker.
 * Returns {port, done(ms) → {ms}, stop()}.
 */
export async function startAria2 (name, torrentFile, dir) {
  const port = await freePort()
  const work = tempDir(`${name}-work`)
  const logFile = path.join(OUT, `${name}.aria2.log`)
  const args = ['--no-conf=true', '--dir=' + dir, '--listen-port=' + port,
    '--interface=127.0.0.1', '--disable-ipv6=true', '--enable-dht=false', '--enable-dht6=false',
    '--enable-peer-exchange=false', '--bt-enable-lpd=false', '--file-allocation=none',
    '--auto-save-interval=0', '--save-session-interval=0', '--summary-interval=0',
    '--console-log-level=warn', '--log=' + logFile, '--log-level=info',
    '--bt-tracker-connect-timeout=5', '--bt-tracker-interval=5', '--bt-stop-timeout=0',
    '--follow-torrent=mem', '--allow-overwrite=true', '--auto-file-renaming=false',
    '--seed-time=0', torrentFile]
  const t0 = Date.now()
  const p = startProcess(name, ARIA2C, args, { cwd: work.dir })
  return {
    port,
    done: async ms => {
      const code = await withTimeout(p.exited, ms, `${name} (aria2c) to finish`).catch(e => {
        throw new Error(`${e.message}; output:\n${p.output().slice(-1500)}\n(log: ${logFile})`)
      })
      if (code !== 0) throw new Error(`${name}: aria2c exited ${code}; output:\n${p.output()}\n(log: ${logFile})`)
      return { ms: Date.now() - t0 }
    },
    stop: async () => { await p.stop(); work.cleanup() }
  }
}

/**
 * SHA-256 of every file under root (recursively) as [{path, length,
 * sha256}], paths relative to root with '/' separators: compare with
 * content.mjs diffFiles.
 */
export function hashTree (root) {
  const out = []
  const walk = rel => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = rel ? rel + '/' + e.name : e.name
      if (e.isDirectory()) walk(r)
      else if (e.isFile()) {
        const data = fs.readFileSync(path.join(root, r))
        out.push({ path: r, length: data.length, sha256: sha256(data) })
      }
    }
  }
  if (fs.existsSync(root)) walk('')
  return out
}

// ---- a small bencode reader, enough to swap a torrent's trackers ----

/** Returns the end offset of the bencoded value at i (bounded by buf). */
function skipValue (buf, i) {
  const c = buf[i]
  if (c === 0x69) { // i<digits>e
    const e = buf.indexOf(0x65, i)
    if (e < 0) throw new Error('bencode: unterminated integer')
    return e + 1
  }
  if (c === 0x6c || c === 0x64) { // l...e, d...e
    i++
    while (buf[i] !== 0x65) {
      if (i >= buf.length) throw new Error('bencode: unterminated list or dict')
      i = skipValue(buf, i)
    }
    return i + 1
  }
  const colon = buf.indexOf(0x3a, i)
  if (colon < 0 || colon - i > 10) throw new Error(`bencode: bad string at ${i}`)
  const n = Number(buf.subarray(i, colon).toString('latin1'))
  if (!Number.isInteger(n) || colon + 1 + n > buf.length) throw new Error(`bencode: bad string length at ${i}`)
  return colon + 1 + n
}

function bstr (s) {
  const b = Buffer.from(s)
  return Buffer.concat([Buffer.from(`${b.length}:`), b])
}

/** The info dictionary of a .torrent, byte for byte (what its info hashes hash). */
export function infoBytes (torrent) {
  const buf = Buffer.from(torrent)
  if (buf[0] !== 0x64) throw new Error('bencode: torrent is not a dictionary')
  for (let i = 1; buf[i] !== 0x65;) {
    if (i >= buf.length) throw new Error('bencode: unterminated torrent')
    const keyEnd = skipValue(buf, i)
    const valEnd = skipValue(buf, keyEnd)
    if (buf.subarray(buf.indexOf(0x3a, i) + 1, keyEnd).toString('latin1') === 'info') return buf.subarray(keyEnd, valEnd)
    i = valEnd
  }
  throw new Error('bencode: torrent has no info dictionary')
}

/**
 * A copy of a .torrent with only its info dictionary (byte for byte, so
 * the info hash is unchanged) and the given trackers, each its own tier.
 */
export function withTrackers (torrent, urls) {
  const buf = Buffer.from(torrent)
  if (buf[0] !== 0x64) throw new Error('bencode: torrent is not a dictionary')
  let i = 1
  let info = null
  while (buf[i] !== 0x65) {
    if (i >= buf.length) throw new Error('bencode: unterminated torrent')
    const keyEnd = skipValue(buf, i)
    const key = buf.subarray(buf.indexOf(0x3a, i) + 1, keyEnd).toString('latin1')
    const valEnd = skipValue(buf, keyEnd)
    if (key === 'info') info = buf.subarray(keyEnd, valEnd)
    i = valEnd
  }
  if (!info) throw new Error('bencode: torrent has no info dictionary')
  const parts = [Buffer.from('d')]
  if (urls.length) {
    parts.push(bstr('announce'), bstr(urls[0]), bstr('announce-list'), Buffer.from('l'))
    for (const u of urls) parts.push(Buffer.from('l'), bstr(u), Buffer.from('e'))
    parts.push(Buffer.from('e'))
  }
  parts.push(bstr('info'), info, Buffer.from('e'))
  return Buffer.concat(parts)
}

/**
 * Samples a browser torrent's peers_by_transport every 300 ms until
 * stopped, keeping the most peers seen per transport (peers leave once
 * both sides are complete, so the final stats cannot show them).
 * Returns {stop() → {transport: max}}.
 */
export function watchTransports (page, infoHash) {
  const seen = {}
  let running = true
  const loop = (async () => {
    while (running) {
      try {
        const s = await stats(page, infoHash)
        for (const [k, v] of Object.entries(s.peers_by_transport || {})) seen[k] = Math.max(seen[k] || 0, v)
      } catch (e) { if (running) log('watchTransports:', String(e)) }
      await new Promise(resolve => setTimeout(resolve, 300))
    }
  })()
  return { stop: async () => { running = false; await loop; return seen } }
}

/** Writes bytes to dir/name and returns the path. */
export function writeFile (dir, name, bytes) {
  const f = path.join(dir, name)
  fs.writeFileSync(f, bytes)
  return f
}
