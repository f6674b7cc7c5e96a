// (2) WebTorrent's own browser bundle, in a page, downloads from Braid
// seeding in another browser (Braid creates the torrent with seed()).
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { launch, screenshot } from './lib/browser.mjs'
import { stats, waitComplete } from './lib/braidpage.mjs'
import { diffFiles, flatLayout } from './lib/content.mjs'
import { Cleanup, log, recordThroughput, withTimeout } from './lib/env.mjs'
import { browserSeederOf, seedContent } from './lib/scenario.mjs'

const cleanup = new Cleanup()
let content, tracker, pages, seederPage, wtPage

before(async () => {
  ({ tracker, content, files: pages, page: seederPage } = await browserSeederOf(cleanup, { name: 'braid-to-wt', layout: flatLayout(), profile: 'braid-seeder' }))
  // WebTorrent's browser bundle, served beside the content.
  const b = await launch({ name: 'webtorrent', origins: [pages.url] })
  cleanup.add(b.close)
  wtPage = await b.ctx.newPage()
  await wtPage.goto(pages.url + 'wt.html')
  await wtPage.waitForFunction(() => window.wtReady, null, { timeout: 15000 })
}, { timeout: 120000 })
after(() => cleanup.run(), { timeout: 60000 })

test('WebTorrent in the browser downloads what browser Braid seeds', { timeout: 150000 }, async () => {
  const seeded = await seedContent(seederPage, pages, content, tracker)
  log('braid seeding', seeded.infoHash, seeded.name)
  // seed() resolves once the torrent is added; it may still be verifying.
  const { stats: st } = await waitComplete(seederPage, seeded.infoHash, 60000, 'braid seeder')
  assert.equal(st.bytes_size, content.total)
  const r = await withTimeout(wtPage.evaluate(b64 => window.wtDownload(b64), seeded.torrent.toString('base64')), 120000,
    'WebTorrent page download from Braid')
  recordThroughput('braid(browser) → webtorrent(browser)', content.total, r.ms)
  await screenshot(wtPage, 'braid-to-webtorrent.png')
  assert.deepEqual(diffFiles(content, r.files), [])
  const up = await stats(seederPage, seeded.infoHash)
  assert.ok(up.uploaded >= content.total, `Braid uploaded ${up.uploaded} < ${content.total}`)
})
