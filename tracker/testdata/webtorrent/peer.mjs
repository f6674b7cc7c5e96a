// A Node WebTorrent peer for tracker/server_ws_interop_test.go.
//   node peer.mjs seed  WS_URL SIZE      -> prints {"magnet":..., "sha1":...}
//   node peer.mjs leech WS_URL MAGNET    -> prints {"done":true, "sha1":...}
// Runs from a temp dir whose node_modules links to web/e2e/node_modules.
import crypto from 'node:crypto'
import WebTorrent from 'webtorrent'

const [mode, url, arg] = process.argv.slice(2)
const client = new WebTorrent({
  dht: false, lsd: false, utp: false, natUpnp: false, natPmp: false, webSeeds: false,
  tracker: { rtcConfig: { iceServers: [] } }
})
client.on('error', e => { console.error('webtorrent error:', e.message || e); process.exit(2) })
const sha1 = b => crypto.createHash('sha1').update(b).digest('hex')

if (mode === 'seed') {
  const data = crypto.randomBytes(+arg)
  data.name = 'braid-ws.bin'
  client.seed(data, { announce: [url], name: 'braid-ws.bin' }, t => {
    console.log(JSON.stringify({ magnet: t.magnetURI, sha1: sha1(data) }))
  })
} else if (mode === 'leech') {
  const t = client.add(arg, { announce: [url] })
  t.on('warning', w => console.error('warning:', w.message || w))
  t.on('done', () => {
    t.files[0].arrayBuffer().then(ab => {
      console.log(JSON.stringify({ done: true, sha1: sha1(Buffer.from(ab)) }))
      client.destroy(() => process.exit(0))
    }, e => { console.error(e); process.exit(3) })
  })
} else {
  console.error('usage: peer.mjs seed|leech URL ARG')
  process.exit(1)
}
