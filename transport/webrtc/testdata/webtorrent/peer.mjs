// Node WebTorrent helpers for transport/webrtc's interop tests.
//   node peer.mjs seed  WS_URL SIZE       -> prints {"infoHash":"<hex>"}, keeps seeding
//   node peer.mjs leech WS_URL INFOHASH   -> prints {"added":true}, keeps offering
//   node peer.mjs tracker                 -> prints {"url":"ws://127.0.0.1:PORT"}: the
//                                            reference bittorrent-tracker server
// Runs from a temp dir whose node_modules links to web/e2e/node_modules.
import crypto from 'node:crypto'
import WebTorrent from 'webtorrent'
import { Server } from 'bittorrent-tracker'

const [mode, url, arg] = process.argv.slice(2)

function tracker () {
  const server = new Server({ udp: false, http: true, ws: true, stats: false, trustProxy: false })
  server.on('error', e => { console.error('tracker error:', e.message || e); process.exit(2) })
  server.on('warning', w => console.error('tracker warning:', w.message || w))
  server.listen(0, '127.0.0.1', () => {
    console.log(JSON.stringify({ url: 'ws://127.0.0.1:' + server.http.address().port }))
  })
}

function peer () {
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
  } else {
    const t = client.add(`magnet:?xt=urn:btih:${arg}&tr=${encodeURIComponent(url)}`, { announce: [url] })
    t.on('warning', w => console.error('warning:', w.message || w))
    t.on('wire', w => console.error('wire from', w.peerId))
    console.log(JSON.stringify({ added: true }))
  }
}

if (mode === 'tracker') tracker()
else if (mode === 'seed' || mode === 'leech') peer()
else {
  console.error('usage: peer.mjs seed|leech URL ARG | tracker')
  process.exit(1)
}
