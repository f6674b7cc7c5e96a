// (3) Braid ↔ Braid: two browser profiles, one seeds, the other downloads.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { launch } from './lib/browser.mjs'
import { download, fileHashes, openBraid, seedFromURLs, stats, waitComplete } from './lib/braidpage.mjs'
import { diffFiles, flatLayout, makeContent } from './lib/content.mjs'
import { Cleanup, log, recordThroughput, requirePrereqs } from './lib/env.mjs'
import { startTracker, startWeb, startWebTorrentPages } from './lib/servers.mjs'

const cleanup = new Cleanup()
let content, tracker, files, seederPage, leechPage

before(async () => {
  requirePrereqs()
  tracker = await startTracker()
  cleanup.add(tracker.stop)
  const web = await startWeb()
  cleanup.add(web.stop)
  content = makeContent('braid-to-braid', flatLayout())
  cleanup.add(content.cleanup)
  files = await startWebTorrentPages(content.dir)
  cleanup.add(files.stop)
  const a = await launch({ name: 'braid-a', origins: [web.url] })
  cleanup.add(a.close)
  seederPage = await openBraid(a.ctx, web.url)
  const b = await launch({ name: 'braid-b', origins: [web.url] })
  cleanup.add(b.close)
  leechPage = await openBraid(b.ctx, web.url)
}, { timeout: 120000 })
after(() => cleanup.run(), { timeout: 60000 })

test('one browser Braid downloads from another', { timeout: 150000 }, async () => {
  const seeded = await seedFromURLs(seederPage, files.url + 'content/', content.files.map(f => f.path), { trackers: [tracker.ws], name: content.name })
  log('braid A seeding', seeded.infoHash)
  await waitComplete(seederPage, seeded.infoHash, 60000, 'braid A verifying')
  const t0 = Date.now()
  const r = await download(leechPage, seeded.torrent)
  assert.equal(r.infoHash, seeded.infoHash)
  const { stats: st } = await waitComplete(leechPage, r.infoHash, 120000, 'braid B←braid A')
  recordThroughput('braid(browser) → braid(browser)', content.total, Date.now() - t0)
  log('final stats', st)
  assert.equal(st.hash_fails, 0)
  assert.ok((st.peers_by_transport?.webrtc || 0) >= 1 || st.fetched >= content.total)
  assert.deepEqual(diffFiles(content, await fileHashes(leechPage, r.infoHash)), [])
  const up = await stats(seederPage, seeded.infoHash)
  assert.ok(up.uploaded >= content.total, `A uploaded ${up.uploaded}`)
})
