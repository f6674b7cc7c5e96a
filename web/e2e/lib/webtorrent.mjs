// A WebTorrent peer in Node (WebRTC through @roamhq/wrtc), signalling through
// the test's WebSocket tracker: the reference implementation Braid must
// interoperate with.
import { log, withTimeout } from './env.mjs'

const CLIENT_OPTS = {
  dht: false, lsd: false, utp: false, natUpnp: false, natPmp: false, webSeeds: false,
  tracker: { rtcConfig: { iceServers: [] } } // host candidates only
}

async function newClient (extra = {}) {
  const { default: WebTorrent } = await import('webtorrent')
  const client = new WebTorrent({ ...CLIENT_OPTS, ...extra })
  client.on('error', e => log('webtorrent client error:', String(e)))
  return client
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
    stop: () => withTimeout(new Promise(resolve => client.destroy(() => resolve())), 10000, 'webtorrent destroy')
  }
}
