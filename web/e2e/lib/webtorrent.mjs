// A WebTorrent peer in Node (WebRTC through @roamhq/wrtc), signalling through
// the test's WebSocket tracker: the reference implementation Braid must
// interoperate with.
import { fork } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { log, withTimeout } from './env.mjs'

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'wtseed-child.mjs')

const CLIENT_OPTS = {
  dht: false, lsd: false, utp: false, natUpnp: false, natPmp: false, webSeeds: false,
  tracker: { rtcConfig: { iceServers: [] } } // host candidates only
}

async function newClient (extra = {}, role = 'client') {
  const { default: WebTorrent } = await import('webtorrent')
  const client = new WebTorrent({ ...CLIENT_OPTS, ...extra })
  client.on('error', e => log(`webtorrent ${role} error:`, String(e)))
  return client
}

function destroy (client) {
  return withTimeout(new Promise(resolve => client.destroy(() => resolve())), 10000, 'webtorrent destroy')
}

/**
 * Seeds a directory (multi-file torrent). opts.uploadLimit (bytes/s) slows
 * it down for tests that act mid-download. Returns {client, torrent,
 * torrentFile: Uint8Array, infoHash, magnet, stop}.
 */
export async function wtSeed (dir, trackerWs, { uploadLimit, pieceLength = 256 * 1024 } = {}) {
  const client = await newClient(uploadLimit ? { uploadLimit } : {})
  const torrent = await withTimeout(new Promise((resolve, reject) => {
    client.once('error', reject)
    client.seed(dir, { announce: [trackerWs], pieceLength }, resolve)
  }), 60000, `WebTorrent seeding ${dir}`)
  log('webtorrent seeding', torrent.infoHash, `${torrent.length} bytes, piece ${torrent.pieceLength}`)
  torrent.on('wire', (w, addr) => log('webtorrent seeder: peer', addr || w.type))
  return {
    client,
    torrent,
    torrentFile: new Uint8Array(torrent.torrentFile),
    infoHash: torrent.infoHash,
    magnet: torrent.magnetURI,
    stop: () => destroy(client)
  }
}

/**
 * wtSeed in a child process, for tests whose browser peer vanishes
 * abruptly (a reload, a killed tab): Node's WebRTC binding (@roamhq/wrtc)
 * can crash its whole process when a remote peer disappears so (a
 * segfault in native code, not an exception). Such a crash is logged and
 * the seeder started again on the same files (the same info hash), as a
 * real seeder would come back; the test then still judges Braid's own
 * behaviour. Returns {torrentFile, infoHash, magnet, restarts(), stop}.
 */
export async function wtSeedIsolated (dir, trackerWs, opts = {}) {
  let child
  let stopped = false
  let restarts = 0
  const start = () => new Promise((resolve, reject) => {
    const c = fork(CHILD, [dir, trackerWs, JSON.stringify(opts)], { stdio: 'inherit' })
    child = c
    let ready = false
    c.once('message', m => { ready = true; resolve(m) })
    c.once('exit', (code, signal) => {
      if (!ready) {
        reject(new Error(`WebTorrent seeder process exited (${signal || code}) before seeding`))
        return
      }
      if (stopped) return
      restarts++
      log(`WebTorrent seeder process died (${signal || 'exit ' + code}); starting it again (restart ${restarts})`)
      if (restarts > 3) return
      start().catch(e => log('WebTorrent seeder restart failed:', String(e)))
    })
  })
  const first = await withTimeout(start(), 90000, `WebTorrent seeding ${dir} (child process)`)
  const stop = () => {
    stopped = true
    const c = child
    if (!c || c.exitCode !== null || c.signalCode !== null) return Promise.resolve()
    return withTimeout(new Promise(resolve => {
      c.once('exit', resolve)
      c.send('stop')
    }), 15000, 'WebTorrent seeder process stop').catch(e => { c.kill('SIGKILL'); log(String(e)) })
  }
  return {
    torrentFile: new Uint8Array(Buffer.from(first.torrentFile, 'base64')),
    infoHash: first.infoHash,
    magnet: first.magnet,
    restarts: () => restarts,
    stop
  }
}

/**
 * Seeds torrentBytes (made elsewhere: a Braid hybrid's v1 side, say) from
 * data already under dir, once WebTorrent has verified it. Returns
 * {client, torrent, infoHash, stop}.
 */
export async function wtSeedTorrent (torrentBytes, dir) {
  const client = await newClient({}, 'seeder client')
  const torrent = await withTimeout(new Promise((resolve, reject) => {
    client.once('error', reject)
    const t = client.add(Buffer.from(torrentBytes), { path: dir })
    t.once('error', reject)
    t.once('done', () => resolve(t))
  }), 60000, `WebTorrent verifying ${dir}`).catch(async e => { await destroy(client); throw e })
  log('webtorrent seeding', torrent.infoHash, `${torrent.length} bytes, ${torrent.files.length} files (padding included)`)
  torrent.on('wire', (w, addr) => log('webtorrent seeder: peer', addr || w.type))
  return { client, torrent, infoHash: torrent.infoHash, stop: () => destroy(client) }
}

/**
 * A WebTorrent leecher of torrentBytes writing under dir. Returns {torrent,
 * done(ms) → ms taken, stop}.
 */
export async function wtLeech (torrentBytes, dir) {
  const client = await newClient({}, 'leecher client')
  const t0 = Date.now()
  const t = client.add(Buffer.from(torrentBytes), { path: dir })
  const done = new Promise((resolve, reject) => {
    t.once('done', () => resolve(Date.now() - t0))
    t.once('error', reject)
  })
  t.on('wire', (w, addr) => log('webtorrent leecher: peer', addr || w.type))
  return {
    torrent: t,
    done: ms => withTimeout(done, ms, `WebTorrent leecher to finish (progress ${t.progress})`),
    stop: () => destroy(client)
  }
}
