// Braid served on a LAN: `braid web --listen 0.0.0.0:8080` in host 1,
// Chromium in host 2 opening http://<host 1>:8080/ — plain http from
// another machine, not a secure context: no service worker, no
// crypto.subtle, no File System Access. The page says what that costs,
// and still downloads (from native Braid in host 1), saves (a Blob
// download) and seeds (hashing in Go) — bytes compared on disk.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { launch, screenshot } from './lib/browser.mjs'
import { download, openBraid, seed, waitComplete } from './lib/braidpage.mjs'
import { MiB, makeContent, diffFiles, sha256 } from './lib/content.mjs'
import { BRAID, Cleanup, log, recordThroughput, requirePrereqs, withTimeout } from './lib/env.mjs'
import { makeLan } from './lib/lan.mjs'
import { braidCreate, hashTree, startBraid } from './lib/native.mjs'
import { spawnUntil } from './lib/servers.mjs'
import { tempContent, workDir } from './lib/scenario.mjs'

const cleanup = new Cleanup()
let lan, trackerWs, work, page, pageURL

before(async () => {
  requirePrereqs()
  lan = makeLan(2)
  cleanup.add(lan.down)
  const h1 = lan.hosts[0].addr
  const tr = await spawnUntil('lanhttp-tracker', ...lan.wrap(1, BRAID, ['tracker', '--http', `${h1}:0`, '--udp', '']), /(ws:\/\/[^\s]+)/)
  cleanup.add(tr.stop)
  trackerWs = tr.match[1]
  const web = await spawnUntil('lanhttp-web', ...lan.wrap(1, BRAID, ['web', '--listen', '0.0.0.0:8080']), /(http:\/\/[^\s]+)/)
  cleanup.add(web.stop)
  pageURL = `http://${h1}:8080/`
  work = workDir(cleanup, 'lanhttp')
  const b = await launch({ name: 'lanhttp', lan: true, executablePath: lan.chromium(2) })
  cleanup.add(b.close)
  page = await openBraid(b.ctx, pageURL)
}, { timeout: 180000 })
after(() => cleanup.run(), { timeout: 60000 })

test('opened over plain http from another host: not a secure context, and the page says so', { timeout: 60000 }, async () => {
  const env = await page.evaluate(() => ({
    secure: globalThis.isSecureContext,
    subtle: !!(globalThis.crypto && globalThis.crypto.subtle),
    worker: 'serviceWorker' in navigator,
    picker: typeof globalThis.showSaveFilePicker === 'function',
    href: location.href
  }))
  log('page environment', env)
  assert.deepEqual(env, { secure: false, subtle: false, worker: false, picker: false, href: pageURL })
  const note = page.locator('#secure-note')
  await note.waitFor({ state: 'visible', timeout: 10000 })
  const text = await note.textContent()
  assert.match(text, /not a secure context/)
  assert.match(text, /streaming preview needs a service worker/)
  assert.match(text, /Save keeps each file in memory/)
  assert.match(text, /https/)
  assert.equal(await page.evaluate(() => import('./save.js').then(m => m.saveMethod())), 'blob')
  await screenshot(page, 'lan-http-note.png')
})

test('downloads from native Braid on the other host and saves each file (Blob download)', { timeout: 180000 }, async () => {
  const content = tempContent(cleanup, 'lanhttp-dl', { 'movie.bin': 3 * MiB + 12345, 'readme.txt': 2222 })
  const torrentFile = path.join(work.dir, 'dl.torrent')
  const torrent = braidCreate(content.dir, torrentFile, [trackerWs])
  const native = await startBraid('lanhttp-native-seed', torrentFile, {
    mode: 'seed', dir: path.dirname(content.dir), listen: `${lan.hosts[0].addr}:0`, rtcLoopback: false, wrap: (c, a) => lan.wrap(1, c, a)
  })
  cleanup.add(native.stop)
  const t0 = Date.now()
  const r = await download(page, torrent)
  const { stats: st } = await waitComplete(page, r.infoHash, 150000, 'browser(http)←native')
  recordThroughput('braid(native) → braid(browser, plain http page) on a LAN', content.total, Date.now() - t0)
  assert.equal(st.hash_fails, 0)

  const row = `li[data-infohash="${r.infoHash}"]`
  await page.click(`${row} .expand`)
  const files = await page.evaluate(ih => window.braid.listFiles(ih), r.infoHash)
  const saved = []
  for (const f of files) {
    const btn = `${row} tr[data-index="${f.index}"] .save:not([disabled])`
    await page.waitForSelector(btn, { timeout: 30000 })
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), page.click(btn)])
    const file = await withTimeout(dl.path(), 60000, `saving ${f.path}`)
    assert.equal(await dl.failure(), null)
    const data = fs.readFileSync(file)
    saved.push({ path: path.posix.basename(f.path), length: data.length, sha256: sha256(data) })
    assert.equal(dl.suggestedFilename(), path.posix.basename(f.path))
  }
  log('saved', saved)
  assert.deepEqual(diffFiles(content, saved), [])
  await native.stop()
})

test('seeds from the page (hashing without WebCrypto); native on the other host downloads', { timeout: 180000 }, async () => {
  const content = makeContent('lanhttp-seed', { 'shared.bin': 2 * MiB + 77, 'shared.txt': 999 })
  cleanup.add(content.cleanup)
  const seeded = await seed(page, content.files.map(f => ({ name: f.path, data: fs.readFileSync(f.abs) })), { trackers: [trackerWs], name: content.name })
  await waitComplete(page, seeded.infoHash, 60000, 'the page verifying its own files')
  const torrentFile = path.join(work.dir, 'seed.torrent')
  fs.writeFileSync(torrentFile, seeded.torrent)
  const dir = path.join(work.dir, 'native-dl')
  fs.mkdirSync(dir)
  const native = await startBraid('lanhttp-native-leech', torrentFile, {
    mode: 'download', dir, seed: false, listen: `${lan.hosts[0].addr}:0`, rtcLoopback: false, wrap: (c, a) => lan.wrap(1, c, a)
  })
  cleanup.add(native.stop)
  const t0 = Date.now()
  await native.complete(150000)
  recordThroughput('braid(browser, plain http page) → braid(native) on a LAN', content.total, Date.now() - t0)
  assert.deepEqual(diffFiles(content, hashTree(path.join(dir, content.name))), [])
  await native.stop()
})
