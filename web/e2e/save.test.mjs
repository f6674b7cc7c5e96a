// Save streams a file to disk instead of building a Blob of it: through
// the File System Access API where the page has it (here a picker that
// returns a file of the origin's private file system, since a headless
// browser shows no dialog), else as a download the service worker
// streams. Both give the file's bytes, and neither calls fileBlob.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { after, before, test } from 'node:test'
import { launch } from './lib/browser.mjs'
import { openBraid, seedFromURLs } from './lib/braidpage.mjs'
import { MiB, sha256 } from './lib/content.mjs'
import { Cleanup, log, waitFor, withTimeout } from './lib/env.mjs'
import { startServers, tempContent } from './lib/scenario.mjs'
import { startWebTorrentPages } from './lib/servers.mjs'

const cleanup = new Cleanup()
let web, content, files

before(async () => {
  ({ web } = await startServers(cleanup, { tracker: false }))
  content = tempContent(cleanup, 'save', { 'big.bin': 24 * MiB + 999 })
  files = await startWebTorrentPages(content.dir)
  cleanup.add(files.stop)
}, { timeout: 60000 })
after(() => cleanup.run(), { timeout: 60000 })

/**
 * A page (init: a script run before the page's own) seeding content, its
 * fileBlob counted; resolves {page, infoHash} with the file's Save button
 * enabled.
 */
async function seedingPage (name, init) {
  const b = await launch({ name, origins: [web.url] })
  cleanup.add(b.close)
  await b.ctx.addInitScript(init)
  const page = await openBraid(b.ctx, web.url)
  const { infoHash } = await seedFromURLs(page, files.url + 'content/', ['big.bin'], { trackers: [] })
  await page.evaluate(() => {
    const orig = window.braid.fileBlob
    window.__fileBlobCalls = 0
    window.braid.fileBlob = (...args) => { window.__fileBlobCalls++; return orig(...args) }
  })
  await page.click(`li[data-infohash="${infoHash}"] .expand`)
  await page.waitForSelector(`li[data-infohash="${infoHash}"] tr[data-index="0"] .save:not([disabled])`, { timeout: 60000 })
  return { page, infoHash }
}

test('Save streams through the service worker as a download', { timeout: 120000 }, async () => {
  const { page, infoHash } = await seedingPage('save-worker', () => {
    Object.defineProperty(window, 'showSaveFilePicker', { value: undefined, configurable: true })
  })
  await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 30000 })
  assert.equal(await page.evaluate(() => import('./save.js').then(m => m.saveMethod())), 'worker')
  const [dl] = await Promise.all([
    page.waitForEvent('download', { timeout: 30000 }),
    page.click(`li[data-infohash="${infoHash}"] tr[data-index="0"] .save`)
  ])
  assert.match(dl.url(), new RegExp(`/stream/${infoHash}/0/big\\.bin\\?download=1$`))
  assert.equal(dl.suggestedFilename(), 'big.bin')
  const file = await withTimeout(dl.path(), 90000, 'the download to finish')
  assert.equal(await dl.failure(), null)
  const data = fs.readFileSync(file)
  log(`saved through the service worker: ${data.length} bytes`)
  assert.equal(data.length, content.files[0].length)
  assert.equal(sha256(data), content.files[0].sha256)
  assert.equal(await page.evaluate(() => window.__fileBlobCalls), 0, 'Save built a Blob of the file')
})

test('Save writes to a picked file in chunks (File System Access)', { timeout: 120000 }, async () => {
  const { page, infoHash } = await seedingPage('save-picker', () => {
    // The picker's one part a headless browser cannot show: the dialog.
    window.showSaveFilePicker = async ({ suggestedName }) => {
      window.__picked = suggestedName
      const dir = await navigator.storage.getDirectory()
      return dir.getFileHandle(suggestedName, { create: true })
    }
  })
  assert.equal(await page.evaluate(() => import('./save.js').then(m => m.saveMethod())), 'picker')
  const sel = `li[data-infohash="${infoHash}"] tr[data-index="0"] .save`
  await page.click(sel)
  // The picked file shows its new bytes once the writer closes (it writes
  // to a side file until then).
  const size = await waitFor(() => page.evaluate(async () => {
    if (!window.__picked) return 0
    const dir = await navigator.storage.getDirectory()
    try {
      return (await (await dir.getFileHandle(window.__picked)).getFile()).size
    } catch { return 0 } // not created yet
  }), 90000, 'the picked file to be written')
  assert.equal(size, content.files[0].length)
  const got = await withTimeout(page.evaluate(async () => {
    const dir = await navigator.storage.getDirectory()
    const f = await (await dir.getFileHandle(window.__picked)).getFile()
    const hex = b => [...new Uint8Array(b)].map(x => x.toString(16).padStart(2, '0')).join('')
    return { name: f.name, size: f.size, sha256: hex(await crypto.subtle.digest('SHA-256', await f.arrayBuffer())) }
  }), 60000, 'reading the saved file')
  log('saved to the picked file', got)
  assert.deepEqual(got, { name: 'big.bin', size: content.files[0].length, sha256: content.files[0].sha256 })
  assert.equal(await page.evaluate(() => window.__fileBlobCalls), 0, 'Save built a Blob of the file')
  assert.equal(await page.textContent('#error-text'), '')
})
