// `braid daemon` for the browser tests: started on a loopback port with
// its own data and state directories, stopped with SIGTERM and started
// again on the same port and state (a restart), and a small Transmission
// RPC client (the 409 handshake, Basic auth) for the tests' own checks.
import { spawnSync } from 'node:child_process'
import { BRAID, log, sleep, waitFor } from './env.mjs'
import { freePort, startProcess, tempDir } from './native.mjs'

/** The info hash `braid info` reports for a .torrent file. */
export function infoHashOf (torrentFile) {
  const r = spawnSync(BRAID, ['info', torrentFile], { timeout: 30000, encoding: 'utf8' })
  const m = /info hash:\s+([0-9a-f]{40})/.exec(r.stdout || '')
  if (r.status !== 0 || !m) throw new Error(`braid info ${torrentFile} failed (${r.status}): ${r.stderr || r.stdout}`)
  return m[1]
}

/** A Transmission RPC client: call(method, args) → arguments; throws on a result other than success. */
export function rpcClient (base, { user, pass } = {}) {
  let sid = ''
  const url = new URL('/transmission/rpc', base).href
  return async function call (method, args = {}) {
    for (let i = 0; i < 3; i++) {
      const headers = { 'Content-Type': 'application/json', 'X-Transmission-Session-Id': sid }
      if (user) headers.Authorization = 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64')
      const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ method, arguments: args }), signal: AbortSignal.timeout(30000) })
      if (res.status === 409) { sid = res.headers.get('x-transmission-session-id'); continue }
      if (!res.ok) throw new Error(`${method}: HTTP ${res.status}`)
      const j = await res.json()
      if (j.result !== 'success') throw new Error(`${method}: ${j.result}`)
      return j.arguments
    }
    throw new Error(`${method}: session id refused three times`)
  }
}

/**
 * Starts `braid daemon` (TCP peers on loopback, no DHT, no WebRTC) with
 * peers to dial for every torrent. env adds environment variables (the
 * RPC credentials). Returns {url, dir, state, call, torrents(fields),
 * stop(), start(), cleanup()}.
 */
export async function startDaemon (name, { peers = [], env = {}, user, pass } = {}) {
  const data = tempDir(`${name}-data`)
  const state = tempDir(`${name}-state`)
  const port = await freePort()
  const url = `http://127.0.0.1:${port}/`
  const args = ['daemon', '--rpc', `127.0.0.1:${port}`, '--dir', data.dir, '--state-dir', state.dir,
    '--listen', '127.0.0.1:0', '--no-dht', '--no-webrtc', '--no-port-mapping', '--no-lsd']
  for (const p of peers) args.push('--peer', p)
  let proc = null
  const call = rpcClient(url, { user, pass })
  const d = {
    url,
    dir: data.dir,
    state: state.dir,
    call,
    async torrents (fields) {
      return (await call('torrent-get', { fields: ['hashString', ...fields] })).torrents
    },
    /** Starts the daemon (again) and waits for its page's marker. */
    async start () {
      const saved = {}
      for (const [k, v] of Object.entries(env)) { saved[k] = process.env[k]; process.env[k] = v }
      try {
        proc = startProcess(name, BRAID, args)
      } finally {
        for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v }
      }
      const p = proc
      await waitFor(async () => {
        if (p.proc.exitCode !== null) throw new Error(`${name} exited ${p.proc.exitCode}:\n${p.output()}`)
        try {
          const res = await fetch(url + 'braid/daemon.json', { signal: AbortSignal.timeout(2000) })
          return res.ok
        } catch { return false }
      }, 30000, `${name} to serve its page`, 200)
      log(`${name}: daemon on ${url}`)
    },
    /** SIGTERM; requires exit code 0 (every torrent saved). */
    async stop () {
      if (!proc) return
      const p = proc
      proc = null
      await p.stop()
      const code = await p.exited
      if (code !== 0) throw new Error(`${name}: daemon exited ${code}:\n${p.output()}`)
      await sleep(100)
    },
    async cleanup () {
      if (proc) await proc.stop()
      proc = null
      data.cleanup()
      state.cleanup()
    }
  }
  await d.start()
  return d
}
