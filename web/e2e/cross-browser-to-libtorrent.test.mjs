// Cross-transport (2): browser Braid seeds what it created with seed();
// native Braid fetches it over WebRTC and serves it over TCP; libtorrent,
// which knows only the native node's TCP address, downloads every byte.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { launch } from './lib/browser.mjs'
import { openBraid, seedFromURLs, stats } from './lib/braidpage.mjs'
import { diffFiles, flatLayout, makeContent } from './lib/content.mjs'
import { Cleanup, log, recordThroughput, requirePrereqs } from './lib/env.mjs'
import { hashTree, requireNative, startBraid, startLibtorrent, tempDir, writeFile } from './lib/native.mjs'
import { startTracker, startWeb, startWebTorrentPages } from './lib/servers.mjs'

const cleanup = new Cleanup()
let content, tracker, files, page, work, seeded

before(async () => {
  requirePrereqs()
  requireNative({ libtorrent: true })
  tracker = await startTracker()
  cleanup.add(tracker.stop)
  const web = await startWeb()
  cleanup.add(web.stop)
  content = makeContent('browser-to-lt', flatLayout(0.5))
  cleanup.add(content.cleanup)
  files = await startWebTorrentPages(content.dir)
  cleanup.add(files.stop)
  work = tempDir('browser-to-lt')
  cleanup.add(work.cleanup)
  const b = await launch({ name: 'cross2-braid', origins: [web.url] })
  cleanup.add(b.close)
  page = await openBraid(b.ctx, web.url)
  seeded = await seedFromURLs(page, files.url + 'content/', content.files.map(f => f.path), { trackers: [tracker.ws], name: content.name })
  log('browser seeding', seeded.infoHash)
}, { timeout: 90000 })
after(() => cleanup.run(), { timeout: 60000 })

test('browser Braid (WebRTC) → native Braid → libtorrent (TCP), files identical', { timeout: 60000 }, async () => {
  const torrentFile = writeFile(work.dir, 'browser.torrent', seeded.torrent)
  const t0 = Date.now()
  const bridgeDir = path.join(work.dir, 'bridge')
  const bridge = await startBraid('cross2-native', torrentFile, { dir: bridgeDir })
  cleanup.add(bridge.stop)
  const ltDir = path.join(work.dir, 'libtorrent')
  fs.mkdirSync(ltDir)
  const leech = await startLibtorrent('cross2-libtorrent', 'leech', torrentFile, ltDir, { peers: [bridge.addr] })
  cleanup.add(leech.stop)
  const got = await bridge.complete(45000)
  recordThroughput('braid(browser) → braid(native) [webrtc]', content.total, got.seconds * 1000)
  const done = await leech.complete(20000)
  recordThroughput('braid(browser) → braid(native) → libtorrent [webrtc→tcp, end to end]', content.total, Date.now() - t0)
  log('libtorrent complete', done, leech.last())
  assert.deepEqual(diffFiles(content, hashTree(path.join(ltDir, content.name))), [])
  assert.deepEqual(diffFiles(content, hashTree(path.join(bridgeDir, content.name))), [])
  const up = await stats(page, seeded.infoHash)
  assert.ok(up.uploaded >= content.total, `browser uploaded ${up.uploaded} < ${content.total}`)
  const nat = await bridge.progressWhere(p => p.uploaded >= content.total, 10000, 'native to report its upload to libtorrent')
  log('native final progress', nat)
})
