// (4) Reload mid-download: the page comes back, Braid finds its pieces in
// IndexedDB (verified_on_start > 0) and fetches only what was missing.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { screenshot } from './lib/browser.mjs'
import { download, fileHashes, stats, waitComplete, waitReady } from './lib/braidpage.mjs'
import { MiB, diffFiles, multiFileLayout } from './lib/content.mjs'
import { Cleanup, log, recordThroughput, waitFor } from './lib/env.mjs'
import { webTorrentToBrowser } from './lib/scenario.mjs'

const cleanup = new Cleanup()
let content, seeder, page

before(async () => {
  ({ content, seeder, page } = await webTorrentToBrowser(cleanup, {
    name: 'reload',
    layout: multiFileLayout(),
    profile: 'braid-reload',
    // slow enough that the reload lands mid-download; in its own process,
    // which the page's reload cannot take down (wtSeedIsolated)
    seed: { uploadLimit: 3 * MiB, isolated: true }
  }))
}, { timeout: 120000 })
after(() => cleanup.run(), { timeout: 60000 })

test('a reload mid-download resumes from IndexedDB', { timeout: 170000 }, async () => {
  const r = await download(page, seeder.torrentFile)
  const mid = await waitFor(async () => {
    const s = await stats(page, r.infoHash)
    return s.progress >= 0.3 ? s : null
  }, 60000, 'download to reach 30% before the reload', 200)
  log(`reloading at ${(100 * mid.progress).toFixed(1)}%`)
  await page.reload({ timeout: 30000 })
  await waitReady(page)
  const back = await waitFor(() => page.evaluate(ih => window.braid.list().then(l => l.find(s => s.info_hash === ih) || null), r.infoHash),
    30000, 'the torrent to be back after the reload')
  log('after reload', { state: back.state, progress: back.progress, verified_on_start: back.verified_on_start })
  const t0 = Date.now()
  const { stats: st } = await waitComplete(page, r.infoHash, 120000, 'braid after reload')
  recordThroughput('webtorrent(node, 3 MiB/s cap) → braid(browser), after reload', st.fetched, Date.now() - t0)
  log('final stats', st)
  await screenshot(page, 'reload.png')
  assert.ok(st.verified_on_start > 0, `verified_on_start ${st.verified_on_start}`)
  assert.ok(st.fetched < content.total, `fetched ${st.fetched} after the reload, total ${content.total}`)
  assert.deepEqual(diffFiles(content, await fileHashes(page, r.infoHash)), [])
})
