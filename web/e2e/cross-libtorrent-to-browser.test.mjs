// Cross-transport (1): libtorrent seeds over TCP only; native Braid fetches
// it over TCP and serves it into the WebRTC swarm; browser Braid, which can
// only do WebRTC, downloads every byte through the native node.
import assert from 'node:assert/strict'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { launch } from './lib/browser.mjs'
import { download, fileHashes, openBraid, waitComplete } from './lib/braidpage.mjs'
import { diffFiles, makeContent, multiFileLayout } from './lib/content.mjs'
import { Cleanup, log, recordThroughput, requirePrereqs } from './lib/env.mjs'
import { braidCreate, hashTree, requireNative, startBraid, startLibtorrent, tempDir, watchTransports } from './lib/native.mjs'
import { startTracker, startWeb } from './lib/servers.mjs'

const cleanup = new Cleanup()
let content, tracker, torrent, torrentFile, seeder, page, work

before(async () => {
  requirePrereqs()
  requireNative({ libtorrent: true })
  tracker = await startTracker()
  cleanup.add(tracker.stop)
  const web = await startWeb()
  cleanup.add(web.stop)
  content = makeContent('lt-to-browser', multiFileLayout(0.5))
  cleanup.add(content.cleanup)
  work = tempDir('lt-to-browser')
  cleanup.add(work.cleanup)
  // HTTP for the TCP peers, ws:// for the WebRTC ones: libtorrent 2.0
  // ignores the second, browser Braid the first.
  torrentFile = path.join(work.dir, 'lt.torrent')
  torrent = braidCreate(content.dir, torrentFile, [tracker.http, tracker.ws])
  seeder = await startLibtorrent('cross1-libtorrent', 'seed', torrentFile, path.dirname(content.dir))
  cleanup.add(seeder.stop)
  const b = await launch({ name: 'cross1-braid', origins: [web.url] })
  cleanup.add(b.close)
  page = await openBraid(b.ctx, web.url)
}, { timeout: 90000 })
after(() => cleanup.run(), { timeout: 60000 })

test('libtorrent (TCP) → native Braid → browser Braid (WebRTC), files identical', { timeout: 60000 }, async () => {
  const t0 = Date.now()
  const bridgeDir = path.join(work.dir, 'bridge')
  const bridge = await startBraid('cross1-native', torrentFile, { dir: bridgeDir, peers: [seeder.addr] })
  cleanup.add(bridge.stop)
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
