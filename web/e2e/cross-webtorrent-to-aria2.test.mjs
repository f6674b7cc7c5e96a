// Cross-transport (3): a WebTorrent seeder in Node, reachable over WebRTC
// only; native Braid fetches from it over WebRTC and serves over TCP;
// aria2, which finds peers only through the HTTP tracker, downloads every
// byte from the native node.
import assert from 'node:assert/strict'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { diffFiles, multiFileLayout } from './lib/content.mjs'
import { Cleanup, log, recordThroughput } from './lib/env.mjs'
import { hashTree, requireNative, startAria2, withTrackers, writeFile } from './lib/native.mjs'
import { peerDir, startBridge, tempContent, webTorrentSeeder, workDir } from './lib/scenario.mjs'
import { startTracker } from './lib/servers.mjs'

const cleanup = new Cleanup()
let content, tracker, seeder, work

before(async () => {
  requireNative({ aria2: true })
  tracker = await startTracker()
  cleanup.add(tracker.stop)
  content = tempContent(cleanup, 'wt-to-aria2', multiFileLayout(0.5))
  work = workDir(cleanup, 'wt-to-aria2')
  // The seeder announces to the WebSocket tracker only: nothing can reach
  // it over TCP.
  seeder = await webTorrentSeeder(cleanup, content.dir, tracker.ws)
}, { timeout: 90000 })
after(() => cleanup.run(), { timeout: 60000 })

test('WebTorrent (WebRTC) → native Braid → aria2 (TCP), files identical', { timeout: 60000 }, async () => {
  // Same info dictionary, so the same swarm: the native node's copy names
  // both trackers, aria2's only the HTTP one.
  const bridgeTorrent = writeFile(work.dir, 'bridge.torrent', withTrackers(seeder.torrentFile, [tracker.http, tracker.ws]))
  const aria2Torrent = writeFile(work.dir, 'aria2.torrent', withTrackers(seeder.torrentFile, [tracker.http]))
  const t0 = Date.now()
  const { bridge, dir: bridgeDir } = await startBridge(cleanup, 'cross3-native', bridgeTorrent, work)
  const ariaDir = peerDir(work, 'aria2')
  const aria2 = await startAria2('cross3-aria2', aria2Torrent, ariaDir)
  cleanup.add(aria2.stop)
  const got = await bridge.complete(40000)
  recordThroughput('webtorrent(node) → braid(native) [webrtc]', content.total, got.seconds * 1000)
  await aria2.done(30000)
  recordThroughput('webtorrent(node) → braid(native) → aria2 [webrtc→tcp, end to end]', content.total, Date.now() - t0)
  assert.deepEqual(diffFiles(content, hashTree(path.join(ariaDir, content.name))), [])
  assert.deepEqual(diffFiles(content, hashTree(path.join(bridgeDir, content.name))), [])
  const wires = seeder.torrent.wires.length
  log('webtorrent seeder uploaded', seeder.torrent.uploaded, 'wires', wires)
  assert.ok(seeder.torrent.uploaded >= content.total, `WebTorrent uploaded ${seeder.torrent.uploaded}`)
  const nat = await bridge.progressWhere(p => p.uploaded >= content.total, 10000, 'native to report its upload to aria2')
  log('native final progress', nat)
})
