// Reload without re-hashing: pieces stored in IndexedDB with their verified
// mark (in the same transaction) are trusted after a reload; only stored
// pieces without one are hashed. stats.resume: checked = pieces hashed at
// start-up, trusted = pieces taken on their mark.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { screenshot } from './lib/browser.mjs'
import { download, fileHashes, stats, waitComplete, waitReady } from './lib/braidpage.mjs'
import { MiB, diffFiles } from './lib/content.mjs'
import { Cleanup, log, waitFor, withTimeout } from './lib/env.mjs'
import { openBraidProfile, tempContent, webTorrentSeeder, webTorrentToBrowser } from './lib/scenario.mjs'

const cleanup = new Cleanup()
let tracker, web, content, seeder, page

// BRAID_E2E_TRUST_MIB measures a larger torrent (not in make test).
const SIZE = (Number(process.env.BRAID_E2E_TRUST_MIB) || 8) * MiB + 4321

before(async () => {
  ({ tracker, web, content, seeder, page } = await webTorrentToBrowser(cleanup, {
    name: 'trust',
    layout: { 'trust.bin': SIZE },
    profile: 'braid-trust',
    seed: { pieceLength: 64 * 1024, isolated: true } // the page reloads under it
  }))
}, { timeout: 120000 })
after(() => cleanup.run(), { timeout: 60000 })

/** Reloads page and waits for the torrent to be back and seeding; returns {st, ms}. */
async function reloadUntilSeeding (p, ih, navigate = () => p.reload({ timeout: 30000 })) {
  const t0 = Date.now()
  await navigate()
  await waitReady(p)
  const ready = Date.now()
  const st = await waitFor(async () => {
    const l = await p.evaluate(() => window.braid.list())
    const s = l.find(s => s.info_hash === ih)
    return s && s.state === 'seeding' ? s : null
  }, 60000, 'the torrent to be back and seeding', 50)
  return { st, ms: Date.now() - t0, afterStartMs: Date.now() - ready }
}

test('a reload after a finished download hashes no piece', { timeout: 150000 }, async () => {
  const r = await download(page, seeder.torrentFile)
  const { stats: done } = await waitComplete(page, r.infoHash, 90000, 'braid←webtorrent')
  // Completion saves the record, syncing the pieces and their marks first.
  await waitFor(async () => (await stats(page, r.infoHash)).state === 'seeding', 10000, 'seeding')
  const { st, ms, afterStartMs } = await reloadUntilSeeding(page, r.infoHash)
  log(`reload of ${(SIZE / MiB).toFixed(1)} MiB (${done.pieces.total} pieces) seeding ${ms} ms after the reload, ${afterStartMs} ms after the page started`, st.resume)
  await screenshot(page, 'reload-trust.png')
  assert.equal(st.resume.checked, 0, `pieces hashed at start-up: ${JSON.stringify(st.resume)}`)
  assert.equal(st.resume.trusted, done.pieces.total)
  assert.equal(st.pieces.have, done.pieces.total)
  assert.deepEqual(diffFiles(content, await fileHashes(page, r.infoHash)), [])
})

test('a tab killed mid-download: stored pieces without a mark are checked, data correct', { timeout: 200000 }, async () => {
  const c2 = tempContent(cleanup, 'killed', { 'killed.bin': SIZE })
  const slow = await webTorrentSeeder(cleanup, c2.dir, tracker.ws, { uploadLimit: 1 * MiB, pieceLength: 64 * 1024, isolated: true }) // the tab is killed under it
  const p = await openBraidProfile(cleanup, web, 'braid-killed')
  const ctx = p.context()
  const r = await download(p, slow.torrentFile)
  const mid = await waitFor(async () => {
    const s = await stats(p, r.infoHash)
    return s.progress >= 0.3 ? s : null
  }, 90000, 'a third of the download before the crash', 100)
  log(`crashing the tab at ${(100 * mid.progress).toFixed(1)}%`)
  const crashed = new Promise(resolve => p.once('crash', resolve))
  p.goto('chrome://crash').catch(() => {})
  await withTimeout(crashed, 20000, 'the tab to crash')
  const p2 = await ctx.newPage()
  const t0 = Date.now()
  await p2.goto(web.url, { timeout: 30000 })
  await waitReady(p2)
  const back = await waitFor(async () => {
    const s = (await p2.evaluate(() => window.braid.list())).find(s => s.info_hash === r.infoHash)
    return s && s.state !== 'checking' && s.state !== 'fetching metadata' ? s : null
  }, 60000, 'the torrent to be back after the crash', 50)
  log(`after the crash: back in ${Date.now() - t0} ms`, back.state, back.resume, `have ${back.pieces.have}/${back.pieces.total}`)
  assert.ok(back.resume.trusted > 0, `no piece trusted: ${JSON.stringify(back.resume)}`)
  assert.ok(back.resume.trusted < back.pieces.total)
  assert.equal(back.resume.valid, back.resume.trusted + back.resume.checked - back.resume.invalid)
  const { stats: end } = await waitComplete(p2, r.infoHash, 150000, 'braid after the crash')
  assert.ok(end.fetched > 0, 'nothing fetched after the crash: it did not land mid-download')
  assert.deepEqual(diffFiles(c2, await fileHashes(p2, r.infoHash)), [])
})
