// Cross-transport (1): libtorrent seeds over TCP only; native Braid fetches
// it over TCP and serves it into the WebRTC swarm; browser Braid, which can
// only do WebRTC, downloads every byte through the native node.
import assert from 'node:assert/strict'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { download, fileHashes, waitComplete } from './lib/braidpage.mjs'
import { diffFiles, multiFileLayout } from './lib/content.mjs'
import { Cleanup, log, recordThroughput } from './lib/env.mjs'
import { hashTree, requireNative, watchTransports } from './lib/native.mjs'
import { libtorrentToBrowser, startBridge } from './lib/scenario.mjs'

const cleanup = new Cleanup()
let content, torrent, torrentFile, seeder, page, work

before(async () => {
  requireNative({ libtorrent: true })
  ;({ content, work, torrentFile, torrent, seeder, page } = await libtorrentToBrowser(cleanup, {
    name: 'lt-to-browser', layout: multiFileLayout(0.5), seederName: 'cross1-libtorrent', profile: 'cross1-braid'
  }))
}, { timeout: 90000 })
after(() => cleanup.run(), { timeout: 60000 })

test('libtorrent (TCP) → native Braid → browser Braid (WebRTC), files identical', { timeout: 60000 }, async () => {
  const t0 = Date.now()
  const { bridge, dir: bridgeDir } = await startBridge(cleanup, 'cross1-native', torrentFile, work, { peers: [seeder.addr] })
  const r = await download(page, torrent)
  assert.equal(r.name, content.name)
  const seen = watchTransports(page, r.infoHash)
  const got = await bridge.complete(30000)
  recordThroughput('libtorrent → braid(native) [tcp]', content.total, got.seconds * 1000)
  const { stats: st } = await waitComplete(page, r.infoHash, 45000, 'browser←native')
  recordThroughput('libtorrent → braid(native) → braid(browser) [tcp→webrtc, end to end]', content.total, Date.now() - t0)
  const transports = await seen.stop()
  log('browser final stats', st, 'transports seen', transports)
  assert.equal(st.hash_fails, 0)
  assert.ok(st.fetched >= content.total, `browser fetched ${st.fetched}`)
  assert.deepEqual(Object.keys(transports), ['webrtc'], `browser peers by transport ${JSON.stringify(transports)}`)
  assert.deepEqual(diffFiles(content, await fileHashes(page, r.infoHash)), [])
  assert.deepEqual(diffFiles(content, hashTree(path.join(bridgeDir, content.name))), [])
  const up = await bridge.progressWhere(p => p.uploaded >= content.total, 10000, 'native to report its upload')
  log('native final progress', up)
})
