// Cross-transport (2): browser Braid seeds what it created with seed();
// native Braid fetches it over WebRTC and serves it over TCP; libtorrent,
// which knows only the native node's TCP address, downloads every byte.
import assert from 'node:assert/strict'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { stats } from './lib/braidpage.mjs'
import { diffFiles, flatLayout } from './lib/content.mjs'
import { Cleanup, log, recordThroughput, waitFor } from './lib/env.mjs'
import { hashTree, requireNative, startLibtorrent, writeFile } from './lib/native.mjs'
import { browserSeederOf, peerDir, seedContent, startBridge, workDir } from './lib/scenario.mjs'

const cleanup = new Cleanup()
let content, page, work, seeded

before(async () => {
  requireNative({ libtorrent: true })
  const s = await browserSeederOf(cleanup, { name: 'browser-to-lt', layout: flatLayout(0.5), profile: 'cross2-braid' })
  ;({ content, page } = s)
  work = workDir(cleanup, 'browser-to-lt')
  seeded = await seedContent(page, s.files, content, s.tracker)
  log('browser seeding', seeded.infoHash)
}, { timeout: 90000 })
after(() => cleanup.run(), { timeout: 60000 })

test('browser Braid (WebRTC) → native Braid → libtorrent (TCP), files identical', { timeout: 60000 }, async () => {
  const torrentFile = writeFile(work.dir, 'browser.torrent', seeded.torrent)
  const t0 = Date.now()
  const { bridge, dir: bridgeDir } = await startBridge(cleanup, 'cross2-native', torrentFile, work)
  const ltDir = peerDir(work, 'libtorrent')
  const leech = await startLibtorrent('cross2-libtorrent', 'leech', torrentFile, ltDir, { peers: [bridge.addr] })
  cleanup.add(leech.stop)
  const got = await bridge.complete(45000)
  recordThroughput('braid(browser) → braid(native) [webrtc]', content.total, got.seconds * 1000)
  const done = await leech.complete(20000)
  recordThroughput('braid(browser) → braid(native) → libtorrent [webrtc→tcp, end to end]', content.total, Date.now() - t0)
  log('libtorrent complete', done, leech.last())
  assert.deepEqual(diffFiles(content, hashTree(path.join(ltDir, content.name))), [])
  assert.deepEqual(diffFiles(content, hashTree(path.join(bridgeDir, content.name))), [])
  // The page publishes its counters periodically: the last few pieces sent
  // may show up a moment after libtorrent completes.
  let up
  await waitFor(async () => (up = await stats(page, seeded.infoHash)).uploaded >= content.total, 10000, 'browser to report its upload', 200).catch(() => {})
  assert.ok(up.uploaded >= content.total, `browser uploaded ${up.uploaded} < ${content.total}`)
  const nat = await bridge.progressWhere(p => p.uploaded >= content.total, 10000, 'native to report its upload to libtorrent')
  log('native final progress', nat)
})
