// (5) The UI driven like a person: pick a .torrent in the drop zone, watch
// the row reach 100%, open the file list, Save a file and compare bytes;
// stream a range through the service worker.
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import fs from 'node:fs'
import { after, before, test } from 'node:test'
import { screenshot } from './lib/browser.mjs'
import { multiFileLayout, relPath } from './lib/content.mjs'
import { Cleanup, recordThroughput, withTimeout } from './lib/env.mjs'
import { webTorrentToBrowser } from './lib/scenario.mjs'

const cleanup = new Cleanup()
let content, seeder, page

before(async () => {
  ({ content, seeder, page } = await webTorrentToBrowser(cleanup, { name: 'ui-person', layout: multiFileLayout(), profile: 'braid-ui' }))
}, { timeout: 120000 })
after(() => cleanup.run(), { timeout: 60000 })

test('pick a .torrent, reach 100%, open files, Save, compare bytes', { timeout: 160000 }, async () => {
  const t0 = Date.now()
  await page.setInputFiles('#torrent-input', { name: 'ui-person.torrent', mimeType: 'application/x-bittorrent', buffer: Buffer.from(seeder.torrentFile) })
  const row = page.locator(`li.torrent[data-infohash="${seeder.infoHash}"]`)
  await row.waitFor({ timeout: 15000 })
  assert.equal(await row.locator('.name').textContent(), content.name)
  await row.locator('.pct', { hasText: '100%' }).waitFor({ timeout: 120000 })
  recordThroughput('webtorrent(node) → braid(browser) via UI', content.total, Date.now() - t0)
  await page.waitForFunction(ih => document.querySelector(`li.torrent[data-infohash="${ih}"]`)?.dataset.state === 'seeding', seeder.infoHash, { timeout: 15000 })
  assert.equal(await page.locator('#error').isVisible(), false)

  await row.locator('button.expand').click()
  const fileRows = row.locator('.files tbody tr')
  await fileRows.nth(content.files.length - 1).waitFor({ timeout: 10000 })
  assert.equal(await fileRows.count(), content.files.length)
  const target = content.files.find(f => f.path === 'data/part-a.bin')
  const tr = row.locator('.files tbody tr', { has: page.locator('.path', { hasText: 'part-a.bin' }) })
  await page.waitForFunction(el => el.dataset.progress === '1', await tr.elementHandle(), { timeout: 10000 })
  // A headless browser shows no save dialog: Save as a download (the
  // service worker's stream; save.test.mjs covers the file picker).
  await page.evaluate(() => Object.defineProperty(window, 'showSaveFilePicker', { value: undefined, configurable: true }))
  const [dl] = await Promise.all([
    page.waitForEvent('download', { timeout: 30000 }),
    tr.locator('button.save').click()
  ])
  assert.equal(dl.suggestedFilename(), 'part-a.bin')
  const saved = fs.readFileSync(await withTimeout(dl.path(), 30000, 'saved file'))
  assert.equal(saved.length, target.length)
  assert.equal(crypto.createHash('sha256').update(saved).digest('hex'), target.sha256)
  await screenshot(page, 'ui.png')
})

test('the service worker streams a byte range of a file through api.read', { timeout: 40000 }, async () => {
  await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 20000 })
  const files = await page.evaluate(ih => window.braid.listFiles(ih), seeder.infoHash)
  const f = files.find(x => relPath(x.path, content.name) === 'video/clip.bin')
  assert.ok(f, 'clip.bin listed')
  const want = fs.readFileSync(content.files.find(x => x.path === 'video/clip.bin').abs).subarray(3 << 20, (3 << 20) + 100000)
  const r = await withTimeout(page.evaluate(async ({ ih, index }) => {
    const res = await fetch(`stream/${ih}/${index}/clip.bin`, { headers: { Range: `bytes=${3 << 20}-${(3 << 20) + 99999}` } })
    const b = new Uint8Array(await res.arrayBuffer())
    let s = ''
    for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000))
    return { status: res.status, range: res.headers.get('content-range'), body: btoa(s) }
  }, { ih: seeder.infoHash, index: f.index }), 30000, 'stream fetch')
  assert.equal(r.status, 206)
  assert.equal(r.range, `bytes ${3 << 20}-${(3 << 20) + 99999}/${f.length}`)
  assert.ok(Buffer.from(r.body, 'base64').equals(want), 'streamed bytes match the file')
})
