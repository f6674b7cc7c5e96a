// Cross-transport (5): one swarm of every kind of peer. libtorrent seeds
// over TCP; aria2 (TCP), native Braid (TCP + WebRTC), WebTorrent in Node
// (WebRTC, and TCP through the HTTP tracker) and browser Braid (WebRTC
// only) all download at once and must all end with every byte.
import assert from 'node:assert/strict'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { download, fileHashes, waitComplete } from './lib/braidpage.mjs'
import { diffFiles, multiFileLayout } from './lib/content.mjs'
import { Cleanup, log, recordThroughput } from './lib/env.mjs'
import { hashTree, requireNative, startAria2, startBraid, watchTransports } from './lib/native.mjs'
import { libtorrentToBrowser, peerDir } from './lib/scenario.mjs'
import { wtLeech } from './lib/webtorrent.mjs'

const cleanup = new Cleanup()
let content, torrent, torrentFile, seeder, page, work

before(async () => {
  requireNative({ libtorrent: true, aria2: true })
  ;({ content, work, torrentFile, torrent, seeder, page } = await libtorrentToBrowser(cleanup, {
    name: 'mixed-swarm', layout: multiFileLayout(0.5), seederName: 'cross5-libtorrent', profile: 'cross5-braid'
  }))
}, { timeout: 90000 })
after(() => cleanup.run(), { timeout: 60000 })

test('libtorrent seeds; aria2, native Braid, WebTorrent (Node) and browser Braid all complete', { timeout: 60000 }, async () => {
  const dirs = {}
  for (const n of ['native', 'aria2', 'webtorrent']) dirs[n] = peerDir(work, n)
  // Every peer finds the others through the trackers: HTTP for the TCP
  // ones, the WebSocket tracker for the WebRTC ones.
  const native = await startBraid('cross5-native', torrentFile, { dir: dirs.native })
  cleanup.add(native.stop)
  const aria2 = await startAria2('cross5-aria2', torrentFile, dirs.aria2)
  cleanup.add(aria2.stop)
  const wt = await wtLeech(torrent, dirs.webtorrent)
  cleanup.add(wt.stop)
  const tb = Date.now()
  const r = await download(page, torrent)
  const seen = watchTransports(page, r.infoHash)

  const results = await Promise.allSettled([
    native.complete(50000).then(ev => ({ who: 'braid(native)', ms: ev.seconds * 1000 })),
    aria2.done(50000).then(({ ms }) => ({ who: 'aria2', ms })),
    wt.done(50000).then(ms => ({ who: 'webtorrent(node)', ms })),
    waitComplete(page, r.infoHash, 50000, 'browser(mixed)').then(({ stats }) => ({ who: 'braid(browser)', ms: Date.now() - tb, stats }))
  ])
  const transports = await seen.stop()
  const failed = results.filter(x => x.status === 'rejected').map(x => String(x.reason?.message || x.reason).split('\n').slice(0, 3).join(' | '))
  assert.deepEqual(failed, [], 'every leecher completes')
  for (const { value: v } of results) recordThroughput(`mixed swarm (libtorrent seeder) → ${v.who}`, content.total, v.ms)
  const browser = results[3].value.stats
  log('browser final stats', browser, 'transports seen', transports)
  assert.equal(browser.hash_fails, 0)
  assert.ok((transports.webrtc || 0) >= 1, `browser peers by transport ${JSON.stringify(transports)}`)
  assert.deepEqual(diffFiles(content, await fileHashes(page, r.infoHash)), [], 'browser files')
  assert.deepEqual(diffFiles(content, hashTree(path.join(dirs.native, content.name))), [], 'native files')
  assert.deepEqual(diffFiles(content, hashTree(path.join(dirs.aria2, content.name))), [], 'aria2 files')
  assert.deepEqual(diffFiles(content, hashTree(path.join(dirs.webtorrent, content.name))), [], 'webtorrent files')
  log('libtorrent seeder', seeder.last(), 'webtorrent leecher uploaded', wt.torrent.uploaded)
})
