// A Node WebTorrent peer for transport/webrtc's interop test.
//   node peer.mjs seed  WS_URL SIZE       -> prints {"infoHash":"<hex>"}, keeps seeding
//   node peer.mjs leech WS_URL INFOHASH   -> prints {"added":true}, keeps offering
// Runs from a temp dir whose node_modules links to web/e2e/node_modules.
import crypto from 'node:crypto'
import WebTorrent from 'webtorrent'

const [mode, url, arg] = process.argv.slice(2)
const client = new WebTorrent({
  dht: false, lsd: false, utp: false, natUpnp: false, natPmp: false, webSeeds: false,
  tracker: { rtcConfig: { iceServers: [] } }
})
client.on('error', e => { console.error('webtorrent error:', e.message || e); process.exit(2) })

if (mode === 'seed') {
  const data = crypto.randomBytes(+arg)
  data.name = 'braid-rtc.bin'
  client.seed(data, { announce: [url], name: 'braid-rtc.bin' }, t => {
    t.on('wire', w => console.error('wire from', w.peerId))
    console.log(JSON.stringify({ infoHash: t.infoHash }))
  })
} else if (mode === 'leech') {
  const t = client.add(`magnet:?xt=urn:btih:${arg}&tr=${encodeURIComponent(url)}`, { announce: [url] })
  t.on('warning', w => console.error('warning:', w.message || w))
  t.on('wire', w => console.error('wire from', w.peerId))
  console.log(JSON.stringify({ added: true }))
} else {
  console.error('usage: peer.mjs seed|leech URL ARG')
  process.exit(1)
}
