// (3) Braid ↔ Braid: two browser profiles, one seeds, the other downloads.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { download, fileHashes, stats, waitComplete } from './lib/braidpage.mjs'
import { diffFiles, flatLayout } from './lib/content.mjs'
import { Cleanup, log, recordThroughput } from './lib/env.mjs'
import { browserSeederOf, openBraidProfile, seedContent } from './lib/scenario.mjs'

const cleanup = new Cleanup()
let content, tracker, files, seederPage, leechPage

before(async () => {
  const s = await browserSeederOf(cleanup, { name: 'braid-to-braid', layout: flatLayout(), profile: 'braid-a' })
  ;({ tracker, content, files, page: seederPage } = s)
  leechPage = await openBraidProfile(cleanup, s.web, 'braid-b')
}, { timeout: 120000 })
after(() => cleanup.run(), { timeout: 60000 })

test('one browser Braid downloads from another', { timeout: 150000 }, async () => {
  const seeded = await seedContent(seederPage, files, content, tracker)
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
