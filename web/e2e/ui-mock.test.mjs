// The UI on its own, against the mock API (lib/mock-api.js): adding by file
// and magnet, progress to 100%, file list, Save, streaming through the
// service worker, pause/resume, remove with delete data, error lines.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { launch, screenshot } from './lib/browser.mjs'
import { Cleanup, E2E, WEB, requirePrereqs, withTimeout } from './lib/env.mjs'
import { waitReady } from './lib/braidpage.mjs'
import { startStatic } from './lib/servers.mjs'

const MiB = 1 << 20
const cleanup = new Cleanup()
let page, calls

const expected = (k, len, off = 0) => { const b = Buffer.alloc(len); for (let i = 0; i < len; i++) b[i] = ((off + i) * 31 + k) & 255; return b }
const torrentJSON = meta => Buffer.from(JSON.stringify(meta))
const row = name => page.locator('li.torrent', { has: page.locator('.name', { hasText: name }) })

before(async () => {
  requirePrereqs({ wasm: false, braid: false })
  const web = await startStatic({ '/': WEB })
  cleanup.add(web.stop)
  const b = await launch({ name: 'ui-mock', origins: [web.url] })
  cleanup.add(b.close)
  await b.ctx.addInitScript({ path: path.join(E2E, 'lib', 'mock-api.js') })
  page = await b.ctx.newPage()
  await page.goto(web.url)
  await waitReady(page, 15000)
  calls = () => page.evaluate(() => window.braid.calls)
}, { timeout: 120000 })
after(() => cleanup.run(), { timeout: 60000 })

test('header shows the version and the page starts the API', { timeout: 20000 }, async () => {
  assert.match(await page.locator('#version').textContent(), /0\.0\.0-mock/)
  assert.equal(await page.locator('#status').getAttribute('data-state'), 'ready')
  assert.equal(await page.locator('#empty').isVisible(), true)
})

test('a dropped .torrent becomes a row that reaches 100% and files can be saved', { timeout: 40000 }, async () => {
  const meta = { name: 'movie', files: [{ path: 'movie.webm', length: 6 * MiB }, { path: 'notes.txt', length: 1000 }] }
  await page.evaluate(() => { window.__mockRate = 4 * 1048576 })
  await page.setInputFiles('#torrent-input', { name: 'movie.torrent', mimeType: 'application/x-bittorrent', buffer: torrentJSON(meta) })
  const r = row('movie')
  await r.waitFor({ timeout: 5000 })
  assert.equal(await page.locator('#empty').isVisible(), false)
  // Mid-way the row shows a partial percentage and a download speed.
  await page.waitForFunction(() => { const p = Number(document.querySelector('li.torrent')?.dataset.progress); return p > 0 && p < 1 }, null, { timeout: 5000 })
  assert.match(await r.locator('.speed').textContent(), /↓ 4\.00 MiB\/s/)
  assert.match(await r.locator('.peers').textContent(), /2 peers \(webrtc 1 · websocket 1\)/)
  assert.match(await r.locator('.eta').textContent(), /left/)
  await r.locator('.pct', { hasText: '100%' }).waitFor({ timeout: 15000 })
  assert.equal(await r.getAttribute('data-state'), 'seeding')

  await r.locator('.expand').click()
  const files = r.locator('.files tbody tr')
  await files.nth(1).waitFor({ timeout: 5000 })
  assert.equal(await files.count(), 2)
  assert.match(await files.nth(0).locator('.path').textContent(), /movie\.webm$/)
  assert.equal(await files.nth(0).locator('button.play').count(), 1, 'media files get a Play button')
  assert.equal(await files.nth(1).locator('button.play').count(), 0)

  // A headless browser shows no save dialog: Save as a download
  // (save.test.mjs covers the file picker).
  await page.evaluate(() => Object.defineProperty(window, 'showSaveFilePicker', { value: undefined, configurable: true }))
  const [dl] = await Promise.all([
    page.waitForEvent('download', { timeout: 10000 }),
    files.nth(1).locator('button.save').click()
  ])
  assert.equal(dl.suggestedFilename(), 'notes.txt')
  const p = await withTimeout(dl.path(), 10000, 'download path')
  assert.deepEqual(fs.readFileSync(p), expected(1, 1000))
})

test('the service worker answers Range requests from api.read', { timeout: 30000 }, async () => {
  await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 15000 })
  const ih = await row('movie').getAttribute('data-infohash')
  const r = await page.evaluate(async ih => {
    const res = await fetch(`stream/${ih}/0/movie.webm`, { headers: { Range: 'bytes=1000-2999' } })
    return { status: res.status, range: res.headers.get('content-range'), type: res.headers.get('content-type'), body: [...new Uint8Array(await res.arrayBuffer())] }
  }, ih)
  assert.equal(r.status, 206)
  assert.equal(r.range, `bytes 1000-2999/${6 * MiB}`)
  assert.equal(r.type, 'video/webm')
  assert.deepEqual(Buffer.from(r.body), expected(0, 2000, 1000))
  const bad = await page.evaluate(async ih => (await fetch(`stream/${ih}/0/x`, { headers: { Range: `bytes=${7 * 1048576}-` } })).status, ih)
  assert.equal(bad, 416)
})

test('pause stops and serialises; resume adds the same torrent again', { timeout: 20000 }, async () => {
  const r = row('movie')
  await r.locator('button.pause', { hasText: 'Pause' }).click()
  await r.locator('button.pause', { hasText: 'Resume' }).waitFor({ timeout: 5000 })
  assert.equal(await r.getAttribute('data-state'), 'paused')
  assert.ok((await calls()).some(c => c[0] === 'stopAndSerialize'))
  await r.locator('button.pause', { hasText: 'Resume' }).click()
  await r.locator('button.pause', { hasText: 'Pause' }).waitFor({ timeout: 5000 })
  assert.equal(await r.getAttribute('data-state'), 'seeding')
  assert.ok((await calls()).some(c => c[0] === 'resume'), 'resume goes through api.resume')
})

test('bad input shows one clear error line', { timeout: 20000 }, async () => {
  await page.setInputFiles('#torrent-input', { name: 'junk.torrent', mimeType: 'application/x-bittorrent', buffer: Buffer.from('not bencode') })
  await page.locator('#error').waitFor({ state: 'visible', timeout: 5000 })
  assert.match(await page.locator('#error-text').textContent(), /junk\.torrent: That is not a valid \.torrent file/)
  await page.locator('#error-close').click()
  await page.setInputFiles('#torrent-input', { name: 'big.torrent', mimeType: 'application/x-bittorrent', buffer: torrentJSON({ name: 'quota', files: [{ path: 'a', length: 1 }] }) })
  await page.locator('#error').waitFor({ state: 'visible', timeout: 5000 })
  assert.match(await page.locator('#error-text').textContent(), /quota exceeded/)
  assert.equal(await page.locator('#error').getAttribute('data-code'), 'quota_exceeded')
  await page.fill('#magnet-input', 'magnet:?xt=urn:btih:nothex')
  await page.click('#magnet-form button')
  await page.locator('#error-text', { hasText: 'magnet link is not valid' }).waitFor({ timeout: 5000 })
})

test('a magnet adds a row; remove asks, then deletes data', { timeout: 20000 }, async () => {
  const ih = 'ab'.repeat(20)
  await page.fill('#magnet-input', `magnet:?xt=urn:btih:${ih}&dn=x`)
  await page.click('#magnet-form button')
  const r = page.locator(`li.torrent[data-infohash="${ih}"]`)
  await r.waitFor({ timeout: 5000 })
  assert.equal(await page.inputValue('#magnet-input'), '')
  await screenshot(page, 'ui-mock.png')
  await r.locator('button.remove').click()
  await page.locator('#remove-dialog').waitFor({ state: 'visible', timeout: 5000 })
  await page.check('#remove-delete')
  await page.click('#remove-confirm')
  await r.waitFor({ state: 'detached', timeout: 5000 })
  const rm = (await calls()).filter(c => c[0] === 'remove')
  assert.deepEqual(rm.at(-1), ['remove', ih, { deleteData: true }])
  // Cancel leaves the torrent alone.
  await row('movie').locator('button.remove').click()
  await page.click('#remove-dialog button[value=cancel]')
  assert.equal(await row('movie').count(), 1)
})

test('after a reload, paused torrents stay paused and the others restart', { timeout: 30000 }, async () => {
  await page.evaluate(() => { window.__mockRate = 64 * 1048576 })
  await page.fill('#magnet-input', `magnet:?xt=urn:btih:${'cd'.repeat(20)}`)
  await page.click('#magnet-form button')
  const other = page.locator(`li.torrent[data-infohash="${'cd'.repeat(20)}"]`)
  await other.waitFor({ timeout: 5000 })
  await row('movie').locator('button.pause', { hasText: 'Pause' }).click()
  await row('movie').locator('button.pause', { hasText: 'Resume' }).waitFor({ timeout: 5000 })
  await page.reload()
  await waitReady(page, 15000)
  const start = (await calls()).find(c => c[0] === 'start')
  assert.equal(start[1].restore, false, 'the page restores torrents itself')
  await row('movie').locator('button.pause', { hasText: 'Resume' }).waitFor({ timeout: 5000 })
  assert.equal(await row('movie').getAttribute('data-state'), 'paused')
  await other.waitFor({ timeout: 5000 })
  assert.notEqual(await other.getAttribute('data-state'), 'paused')
  const resumed = (await calls()).filter(c => c[0] === 'resume').map(c => c[1])
  assert.deepEqual(resumed, ['cd'.repeat(20)])
  await page.emulateMedia({ colorScheme: 'dark' })
  await screenshot(page, 'ui-mock-dark.png')
  await page.emulateMedia({ colorScheme: 'light' })
})

test('create & seed from picked files', { timeout: 20000 }, async () => {
  await page.setInputFiles('#seed-input', [{ name: 'song.mp3', mimeType: 'audio/mpeg', buffer: Buffer.alloc(5000, 7) }])
  await row('song.mp3').waitFor({ timeout: 5000 })
  await page.locator('#notice a', { hasText: '.torrent' }).waitFor({ timeout: 5000 })
  assert.equal(await row('song.mp3').getAttribute('data-state'), 'seeding')
  await screenshot(page, 'ui-mock-seed.png')
  const seeds = (await calls()).filter(c => c[0] === 'seed')
  assert.equal(seeds.at(-1)[2]?.protocol, undefined, 'v1 by default (seed()\'s own default)')
})

test('create & seed a hybrid torrent: the protocol choice reaches seed()', { timeout: 20000 }, async () => {
  await page.selectOption('#seed-protocol', 'hybrid')
  await page.setInputFiles('#seed-input', [{ name: 'album.flac', mimeType: 'audio/flac', buffer: Buffer.alloc(7000, 3) }])
  await row('album.flac').waitFor({ timeout: 5000 })
  await page.locator('#notice', { hasText: '(hybrid)' }).waitFor({ timeout: 5000 })
  const seeds = (await calls()).filter(c => c[0] === 'seed')
  assert.equal(seeds.at(-1)[2]?.protocol, 'hybrid')
  await page.selectOption('#seed-protocol', 'v1')
})
