// (1) Braid in the browser downloads a multi-file ≥16 MiB torrent from a
// WebTorrent seeder in Node, over WebRTC signalled by the WebSocket tracker.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { screenshot } from './lib/browser.mjs'
import { download, fileHashes, stats, waitComplete } from './lib/braidpage.mjs'
import { diffFiles, multiFileLayout } from './lib/content.mjs'
import { Cleanup, log, recordThroughput } from './lib/env.mjs'
import { webTorrentToBrowser } from './lib/scenario.mjs'

const cleanup = new Cleanup()
let content, seeder, page

before(async () => {
  ({ content, seeder, page } = await webTorrentToBrowser(cleanup, { name: 'wt-to-braid', layout: multiFileLayout(), profile: 'braid' }))
}, { timeout: 120000 })
after(() => cleanup.run(), { timeout: 60000 })

test('browser Braid downloads from a Node WebTorrent seeder, files identical', { timeout: 150000 }, async () => {
  assert.ok(content.total >= 16 << 20)
  const t0 = Date.now()
  const r = await download(page, seeder.torrentFile)
  assert.equal(r.infoHash, seeder.infoHash)
  assert.equal(r.name, content.name)
  const { stats: st } = await waitComplete(page, r.infoHash, 120000, 'braid←webtorrent')
  recordThroughput('webtorrent(node) → braid(browser)', content.total, Date.now() - t0)
  log('final stats', st)
  await screenshot(page, 'webtorrent-to-braid.png')
  assert.equal(st.bytes_size, content.total)
  assert.ok(st.fetched >= content.total, `fetched ${st.fetched} < ${content.total}`)
  assert.equal(st.hash_fails, 0)
  assert.deepEqual(diffFiles(content, await fileHashes(page, r.infoHash)), [])
  const after = await stats(page, r.infoHash)
  assert.equal(after.state, 'seeding')
})
