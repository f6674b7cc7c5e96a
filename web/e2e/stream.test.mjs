// Streaming: a WebM video (recorded in Chromium with MediaRecorder, so it
// is real media) is played from the file list while a slow seeder is still
// sending it; the service worker feeds the <video> through api.read.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { screenshot } from './lib/browser.mjs'
import { stats } from './lib/braidpage.mjs'
import { Cleanup, log, waitFor } from './lib/env.mjs'
import { openBraidProfile, startServers, tempContent, webTorrentSeeder } from './lib/scenario.mjs'
import { recordWebM } from './lib/media.mjs'

const cleanup = new Cleanup()
let content, seeder, page, video

before(async () => {
  const { tracker, web } = await startServers(cleanup)
  page = await openBraidProfile(cleanup, web, 'braid-stream')
  // Chromium probes the first seconds of a WebM before it reports metadata,
  // so the video must be several times longer than that probe.
  video = await recordWebM(page, 10000, 2e6, 320, 180)
  log(`recorded ${video.length} bytes of WebM`)
  content = tempContent(cleanup, 'stream', { 'notes.txt': 1000 })
  fs.writeFileSync(path.join(content.dir, 'movie.webm'), video)
  // About the video's bit rate, ~12 s for the whole file: playback must
  // start well before that.
  seeder = await webTorrentSeeder(cleanup, content.dir, tracker.ws, { uploadLimit: Math.max(64 * 1024, Math.round(video.length / 12)), pieceLength: 64 * 1024 })
}, { timeout: 150000 })
after(() => cleanup.run(), { timeout: 60000 })

test('a video plays from the file list before its download completes', { timeout: 120000 }, async () => {
  assert.ok(video.length > 100 * 1024, `recorded only ${video.length} bytes`)
  await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 20000 })
  await page.setInputFiles('#torrent-input', { name: 'stream.torrent', mimeType: 'application/x-bittorrent', buffer: Buffer.from(seeder.torrentFile) })
  const row = page.locator(`li.torrent[data-infohash="${seeder.infoHash}"]`)
  await row.waitFor({ timeout: 15000 })
  await row.locator('button.expand').click()
  const tr = row.locator('.files tbody tr', { has: page.locator('.path', { hasText: 'movie.webm' }) })
  await tr.waitFor({ timeout: 15000 })
  await page.evaluate(() => {
    // Record every read the service worker asks for (the answer to "why did it stall").
    const t0 = performance.now()
    const orig = window.braid.read
    window.__reads = []
    window.braid.read = (...a) => {
      const rec = { off: a[2], len: a[3], at: Math.round(performance.now() - t0) }
      window.__reads.push(rec)
      return orig.apply(window.braid, a).then(d => { rec.ms = Math.round(performance.now() - t0 - rec.at); rec.got = d.length; return d })
    }
  })
  await tr.locator('button.play').click()
  const t0 = Date.now()
  const playing = await waitFor(async () => {
    const v = await page.evaluate(() => {
      const v = document.querySelector('.player video')
      return v && { t: v.currentTime, rs: v.readyState, buffered: v.buffered.length ? v.buffered.end(0) : 0, err: v.error && v.error.message }
    })
    if (v && v.err) throw new Error(`video error: ${v.err}`)
    const s = await stats(page, seeder.infoHash)
    log(`+${Date.now() - t0} ms: download ${(100 * s.progress).toFixed(1)}%, video`, v)
    if (!v || v.t < 0.3) return null
    return { ...v, progress: s.progress }
  }, 60000, 'the video to play', 200)
  log('playing', playing)
  log('reads', await page.evaluate(() => window.__reads))
  await screenshot(page, 'stream.png')
  assert.ok(playing.progress < 1, `the download had already completed (progress ${playing.progress}) when playback started`)
  await row.locator('.pct', { hasText: '100%' }).waitFor({ timeout: 60000 })
})
