// wt_leech.mjs E2E_DIR TORRENT SAVE_DIR PEER_HOST:PORT (driven by test/interop)
// A WebTorrent 2.8.5 (BitTorrent v1 only) leecher in Node over TCP: adds
// the peer given, downloads into SAVE_DIR, prints {"type":"complete"} and
// exits 0 once every piece is verified.
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const [e2eDir, torrentPath, dir, peer] = process.argv.slice(2)
const { default: WebTorrent } = await import(pathToFileURL(path.join(e2eDir, 'node_modules', 'webtorrent', 'index.js')).href)
const emit = (o) => console.log(JSON.stringify(o))
const client = new WebTorrent({ dht: false, lsd: false, utp: false, natUpnp: false, natPmp: false, webSeeds: false, tracker: false })
client.on('error', (err) => { console.error('webtorrent:', err.message); process.exit(1) })
const torrent = client.add(fs.readFileSync(torrentPath), { path: dir, announce: [] })
torrent.on('error', (err) => { console.error('torrent:', err.message); process.exit(1) })
torrent.on('infoHash', () => emit({ type: 'ready', info_hash: torrent.infoHash }))
torrent.on('ready', () => torrent.addPeer(peer))
torrent.on('done', () => {
  emit({ type: 'complete', info_hash: torrent.infoHash, length: torrent.length })
  client.destroy(() => process.exit(0))
})
setInterval(() => emit({ type: 'progress', progress: torrent.progress, peers: torrent.numPeers }), 1000).unref()
