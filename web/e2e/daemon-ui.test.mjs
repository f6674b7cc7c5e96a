// The page served by `braid daemon` drives the daemon over its RPC: add a
// .torrent and a magnet (native Braid seeders on loopback, bytes compared
// on disk), file choice, speed limits, pause and resume, priority and
// per-torrent limits (the daemon's answer shown), queue order, location
// with move, a daemon restart under the open page, remove with data, and
// the sign-in when the RPC wants credentials.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { launch, screenshot } from './lib/browser.mjs'
import { makeContent, MiB, sha256 } from './lib/content.mjs'
import { infoHashOf, startDaemon } from './lib/daemon.mjs'
import { Cleanup, requirePrereqs, waitFor } from './lib/env.mjs'
import { braidCreate, requireNative, startBraid, tempDir } from './lib/native.mjs'
import { waitReady } from './lib/braidpage.mjs'

const cleanup = new Cleanup()
let daemon, page, b, multi, solo, ihA, ihB, torrentA

const rowOf = ih => page.locator(`li.torrent[data-infohash="${ih}"]`)
const fileRow = (row, name) => row.locator('.files tbody tr', { has: page.locator('.path', { hasText: name }) })
const waitRowState = (ih, want, ms) => page.waitForFunction(({ ih, want }) =>
  document.querySelector(`li.torrent[data-infohash="${ih}"]`)?.dataset.state === want, { ih, want }, { timeout: ms })
const torrent = async (ih, fields) => (await daemon.torrents(fields)).find(t => t.hashString === ih)
const errorLine = () => page.evaluate(() => ({ visible: !document.querySelector('#error').hidden, code: document.querySelector('#error').dataset.code, text: document.querySelector('#error-text').textContent }))

// Every file of content that the daemon has complete under dir, compared byte for byte.
function compareOnDisk (content, dir, skip = []) {
  for (const f of content.files) {
    const p = path.join(dir, content.name, ...f.path.split('/'))
    if (skip.includes(f.path)) {
      assert.ok(!fs.existsSync(p) || sha256(fs.readFileSync(p)) !== f.sha256, `${f.path} was not chosen, yet it is complete on disk`)
      continue
    }
    assert.ok(fs.existsSync(p), `${p} exists`)
    const data = fs.readFileSync(p)
    assert.equal(data.length, f.length, `${f.path} length`)
    assert.equal(sha256(data), f.sha256, `${f.path} bytes`)
  }
}

before(async () => {
  requirePrereqs({ wasm: false })
  requireNative()
  multi = makeContent('daemon-multi', { 'big.bin': 6 * MiB + 123, 'docs/readme.txt': 4321, 'skip/unwanted.bin': 2 * MiB + 7, 'tail.bin': MiB + 1 })
  cleanup.add(multi.cleanup)
  solo = makeContent('daemon-solo', { 'solo.bin': 3 * MiB / 2 + 11 })
  cleanup.add(solo.cleanup)
  const t = tempDir('daemon-torrents')
  cleanup.add(t.cleanup)
  const fileA = path.join(t.dir, 'multi.torrent')
  torrentA = braidCreate(multi.dir, fileA, [], { pieceLength: 65536 })
  const fileB = path.join(t.dir, 'solo.torrent')
  braidCreate(solo.dir, fileB, [], { pieceLength: 65536 })
  ihA = infoHashOf(fileA)
  ihB = infoHashOf(fileB)
  const seedA = await startBraid('daemon-seed-a', fileA, { mode: 'seed', dir: path.dirname(multi.dir), noWebRTC: true })
  cleanup.add(seedA.stop)
  const seedB = await startBraid('daemon-seed-b', fileB, { mode: 'seed', dir: path.dirname(solo.dir), noWebRTC: true })
  cleanup.add(seedB.stop)
  daemon = await startDaemon('daemon', { peers: [seedA.addr, seedB.addr] })
  cleanup.add(() => daemon.cleanup())
  b = await launch({ name: 'daemon-ui', origins: [daemon.url] })
  cleanup.add(b.close)
  page = await b.ctx.newPage()
  await page.goto(daemon.url)
  await waitReady(page, 30000)
}, { timeout: 180000 })
after(() => cleanup.run(), { timeout: 90000 })

test('the page served by the daemon finds it and drives it', { timeout: 30000 }, async () => {
  assert.equal(await page.evaluate(() => document.documentElement.dataset.backend), 'daemon')
  assert.equal(await page.locator('#status').getAttribute('data-state'), 'ready')
  assert.equal(await page.locator('#status').textContent(), 'daemon')
  assert.match(await page.locator('#version').textContent(), /^v\d/)
  assert.equal(await page.locator('#settings').isVisible(), false, "the tab's WebRTC settings are not the daemon's")
  assert.equal(await page.locator('#seed-button').isVisible(), false)
  assert.equal(await page.locator('#limits').isVisible(), true)
  assert.equal(await page.locator('#empty').isVisible(), true)
})

test('add a .torrent paused, skip a file, limit the speed, resume, pause, resume: the chosen bytes are on disk', { timeout: 240000 }, async () => {
  await daemon.call('session-set', { 'start-added-torrents': false })
  await page.setInputFiles('#torrent-input', { name: 'multi.torrent', mimeType: 'application/x-bittorrent', buffer: torrentA })
  const row = rowOf(ihA)
  await row.waitFor({ timeout: 15000 })
  assert.equal(await row.locator('.name').textContent(), multi.name)
  await waitRowState(ihA, 'paused', 15000)
  assert.equal(await row.locator('.pause').textContent(), 'Resume')

  // Skip a file: its box is unticked on the daemon.
  await row.locator('button.expand').click()
  await row.locator('.files tbody tr').nth(3).waitFor({ timeout: 10000 })
  assert.equal(await row.locator('.files tbody tr').count(), 4)
  assert.equal(await row.locator('.files button.save').count(), 0, "a daemon's files are not saved through the tab")
  const skip = fileRow(row, 'unwanted.bin')
  await skip.locator('input.want').uncheck()
  const idx = Number(await skip.getAttribute('data-index'))
  await waitFor(async () => (await torrent(ihA, ['fileStats'])).fileStats[idx].wanted === false, 10000, 'files-unwanted on the daemon')
  await page.waitForFunction(el => el.dataset.wanted === 'false', await skip.elementHandle(), { timeout: 5000 })

  // The daemon's download limit, set in the page.
  await page.locator('#limits').click()
  await page.locator('#limits-dialog').waitFor({ state: 'visible' })
  await page.locator('#lim-down-on').check()
  await page.locator('#lim-down').fill('100')
  await page.locator('#lim-save').click()
  await page.locator('#limits-dialog').waitFor({ state: 'hidden' })
  let s = await daemon.call('session-get', { fields: ['speed-limit-down', 'speed-limit-down-enabled'] })
  assert.equal(s['speed-limit-down-enabled'], true)
  assert.equal(s['speed-limit-down'], 100)

  // Resume: it downloads (slowly); Pause stops it on the daemon.
  await row.locator('.pause').click()
  await page.waitForFunction(ih => {
    const li = document.querySelector(`li.torrent[data-infohash="${ih}"]`)
    return li && li.dataset.state === 'downloading' && Number(li.dataset.progress) > 0
  }, ihA, { timeout: 60000 })
  await row.locator('.pause', { hasText: 'Pause' }).click()
  await waitRowState(ihA, 'paused', 15000)
  const paused = await torrent(ihA, ['status', 'percentDone'])
  assert.equal(paused.status, 0, 'stopped on the daemon')
  assert.ok(paused.percentDone < 1, `paused before the end (${paused.percentDone})`)

  // Lift the limit, resume: the chosen files complete.
  await page.locator('#limits').click()
  await page.locator('#limits-dialog').waitFor({ state: 'visible' })
  assert.equal(await page.locator('#lim-down-on').isChecked(), true, 'the dialog shows the daemon’s limit')
  assert.equal(await page.locator('#lim-down').inputValue(), '100')
  await page.locator('#lim-down-on').uncheck()
  await page.locator('#lim-save').click()
  await page.locator('#limits-dialog').waitFor({ state: 'hidden' })
  s = await daemon.call('session-get', { fields: ['speed-limit-down-enabled'] })
  assert.equal(s['speed-limit-down-enabled'], false)
  await row.locator('.pause', { hasText: 'Resume' }).click()
  await row.locator('.pct', { hasText: '100%' }).waitFor({ timeout: 120000 })
  await waitRowState(ihA, 'seeding', 30000)
  const done = await torrent(ihA, ['leftUntilDone', 'fileStats', 'files'])
  assert.equal(done.leftUntilDone, 0)
  assert.ok(done.fileStats[idx].bytesCompleted < done.files[idx].length, 'the skipped file is not complete')
  compareOnDisk(multi, daemon.dir, ['skip/unwanted.bin'])
  assert.equal((await errorLine()).visible, false, JSON.stringify(await errorLine()))
  await screenshot(page, 'daemon-ui.png')
})

test("a file's priority goes to the daemon; its answer is shown", { timeout: 30000 }, async () => {
  const row = rowOf(ihA)
  const big = fileRow(row, 'big.bin')
  const idx = Number(await big.getAttribute('data-index'))
  await big.locator('select.prio').selectOption('high')
  // The daemon either keeps the priority or refuses it; a refusal is on
  // the page's error line, and the choice shows the daemon's value again.
  const r = await waitFor(async () => {
    const t = await torrent(ihA, ['fileStats'])
    if (t.fileStats[idx].priority === 1) return { kept: true }
    const e = await errorLine()
    if (e.visible && /priority/i.test(e.text)) return { refused: e.text }
    return false
  }, 10000, 'the priority kept or refused')
  if (r.kept) {
    await page.waitForFunction(el => el.dataset.priority === 'high', await big.elementHandle(), { timeout: 5000 })
  } else {
    assert.equal(r.refused.startsWith('Priority high of '), true, r.refused)
    await page.waitForFunction(el => el.dataset.priority === 'normal', await big.elementHandle(), { timeout: 5000 })
    await page.locator('#error-close').click()
  }
})

test("a torrent's own speed limits go to the daemon; its answer is shown", { timeout: 30000 }, async () => {
  await rowOf(ihA).locator('button.options').click()
  await page.locator('#torrent-dialog').waitFor({ state: 'visible' })
  assert.equal(await page.locator('#topt-name').textContent(), multi.name)
  await page.locator('#topt-down-on').check()
  await page.locator('#topt-down').fill('500')
  await page.locator('#topt-limits-set').click()
  const r = await waitFor(async () => {
    const t = await torrent(ihA, ['downloadLimited', 'downloadLimit'])
    if (t.downloadLimited && t.downloadLimit === 500) return { kept: true }
    const e = await page.locator('#topt-error').textContent()
    if (e) return { refused: e }
    return false
  }, 10000, 'the limit kept or refused')
  if (r.refused) assert.match(r.refused, /^Speed limits: .*downloadLimited/, r.refused)
  await page.locator('#torrent-dialog button[value=close]').click()
  await page.locator('#torrent-dialog').waitFor({ state: 'hidden' })
  if (r.refused) await page.locator('#error-close').click()
})

test('add a magnet: metadata from the peer, then the bytes', { timeout: 120000 }, async () => {
  await daemon.call('session-set', { 'start-added-torrents': true })
  await page.locator('#magnet-input').fill(`magnet:?xt=urn:btih:${ihB}&dn=${solo.name}`)
  await page.locator('#magnet-form button[type=submit]').click()
  const row = rowOf(ihB)
  await row.waitFor({ timeout: 15000 })
  await row.locator('.pct', { hasText: '100%' }).waitFor({ timeout: 90000 })
  await waitRowState(ihB, 'seeding', 30000)
  assert.equal(await row.locator('.name').textContent(), solo.name)
  assert.equal(await page.locator('#magnet-input').inputValue(), '', 'the field is cleared once added')
  compareOnDisk(solo, daemon.dir)
})

test('queue order: Top moves a torrent first, on the daemon and in the list', { timeout: 30000 }, async () => {
  const order = () => page.evaluate(() => [...document.querySelectorAll('#torrents li.torrent')].map(li => li.dataset.infohash))
  assert.deepEqual(await order(), [ihA, ihB])
  assert.equal(await rowOf(ihB).locator('.queue').textContent(), '#2')
  await rowOf(ihB).locator('button.options').click()
  await page.locator('#torrent-dialog').waitFor({ state: 'visible' })
  assert.equal(await page.locator('#topt-queue').textContent(), '(2 of 2)')
  await screenshot(page, 'daemon-ui-options.png')
  await page.locator('#torrent-dialog button[data-queue=top]').click()
  await waitFor(async () => (await torrent(ihB, ['queuePosition'])).queuePosition === 0, 10000, 'queue-move-top on the daemon')
  await page.waitForFunction(ih => document.querySelector('#torrents li.torrent')?.dataset.infohash === ih, ihB, { timeout: 5000 })
  await page.waitForFunction(() => document.querySelector('#topt-queue').textContent === '(1 of 2)', null, { timeout: 5000 })
  assert.equal(await rowOf(ihB).locator('.queue').textContent(), '#1')
  await page.locator('#torrent-dialog button[data-queue=down]').click()
  await waitFor(async () => (await torrent(ihB, ['queuePosition'])).queuePosition === 1, 10000, 'queue-move-down on the daemon')
  await page.waitForFunction(ih => document.querySelector('#torrents li.torrent:last-child')?.dataset.infohash === ih, ihB, { timeout: 5000 })
  await page.locator('#torrent-dialog button[value=close]').click()
})

test('location with move: the data moves and the daemon seeds it from there', { timeout: 60000 }, async () => {
  const target = path.join(daemon.dir, 'moved', 'here')
  fs.mkdirSync(target, { recursive: true })
  await rowOf(ihB).locator('button.options').click()
  await page.locator('#torrent-dialog').waitFor({ state: 'visible' })
  assert.equal(await page.locator('#topt-location').inputValue(), daemon.dir)
  await page.locator('#topt-location').fill(target)
  assert.equal(await page.locator('#topt-move').isChecked(), true)
  await page.locator('#topt-location-set').click()
  await page.waitForFunction(() => /^Moved to /.test(document.querySelector('#topt-status').textContent), null, { timeout: 45000 })
  assert.equal(await page.locator('#topt-error').textContent(), '')
  await page.locator('#torrent-dialog button[value=close]').click()
  assert.equal((await torrent(ihB, ['downloadDir'])).downloadDir, target)
  compareOnDisk(solo, target)
  assert.equal(fs.existsSync(path.join(daemon.dir, solo.name)), false, 'the old copy is gone')
  await waitRowState(ihB, 'seeding', 30000)
})

test('restart the daemon under the open page: the outage shows, then the list comes back', { timeout: 90000 }, async () => {
  await daemon.stop()
  await page.waitForFunction(() => document.querySelector('#status').dataset.state === 'offline', null, { timeout: 15000 })
  const e = await errorLine()
  assert.equal(e.visible, true)
  assert.equal(e.code, 'daemon_unreachable')
  assert.match(e.text, /Cannot reach the Braid daemon/)
  assert.equal(await page.locator('#status').textContent(), 'daemon unreachable')
  assert.equal(await rowOf(ihA).count(), 1, 'the rows stay while the daemon is away')
  await screenshot(page, 'daemon-ui-outage.png')

  let conflicts = 0
  const count = r => { if (r.status() === 409 && r.url().endsWith('/transmission/rpc')) conflicts++ }
  page.on('response', count)
  await daemon.start()
  // A new daemon, a new session id: the page takes it (409) without a word.
  await page.waitForFunction(() => document.querySelector('#status').dataset.state === 'ready', null, { timeout: 30000 })
  await page.waitForFunction(() => document.querySelector('#error').hidden, null, { timeout: 10000 })
  page.off('response', count)
  assert.ok(conflicts >= 1, 'the new daemon handed its session id with a 409')
  await waitRowState(ihA, 'seeding', 60000)
  await waitRowState(ihB, 'seeding', 60000)
  const skip = fileRow(rowOf(ihA), 'unwanted.bin')
  await page.waitForFunction(el => el.dataset.wanted === 'false', await skip.elementHandle(), { timeout: 10000 })
  assert.equal(await page.locator('#torrents li.torrent').count(), 2)
})

test('remove with data: the row and the files are gone', { timeout: 60000 }, async () => {
  const row = rowOf(ihA)
  await row.locator('button.remove').click()
  await page.locator('#remove-dialog').waitFor({ state: 'visible' })
  await page.locator('#remove-delete').check()
  await page.locator('#remove-confirm').click()
  await row.waitFor({ state: 'detached', timeout: 15000 })
  await waitFor(async () => !(await torrent(ihA, ['id'])), 10000, 'the torrent gone from the daemon')
  await waitFor(() => !fs.existsSync(path.join(daemon.dir, multi.name)), 15000, 'the data deleted')
  await new Promise(resolve => setTimeout(resolve, 1500))
  assert.equal(await rowOf(ihA).count(), 0, 'it does not come back')
  assert.equal(await rowOf(ihB).count(), 1)
  assert.equal((await errorLine()).visible, false)
})

test('with RPC credentials: the page asks, says a wrong password was refused, then works', { timeout: 90000 }, async () => {
  const secure = await startDaemon('daemon-auth', { env: { BRAID_RPC_USERNAME: 'alice', BRAID_RPC_PASSWORD: 'right-pw' }, user: 'alice', pass: 'right-pw' })
  cleanup.add(() => secure.cleanup())
  const p = await b.ctx.newPage()
  await p.goto(secure.url)
  await waitReady(p, 30000)
  await p.locator('#auth-dialog').waitFor({ state: 'visible', timeout: 10000 })
  assert.equal(await p.locator('#status').getAttribute('data-state'), 'auth')
  const code = await p.evaluate(() => document.querySelector('#error').dataset.code)
  assert.equal(code, 'unauthorized')
  assert.match(await p.locator('#error-text').textContent(), /needs a username and password \(HTTP 401\)/)

  await p.locator('#auth-user').fill('alice')
  await p.locator('#auth-pass').fill('wrong-pw')
  await p.locator('#auth-submit').click()
  await p.waitForFunction(() => /refused this username and password \(HTTP 401\)/.test(document.querySelector('#auth-error').textContent), null, { timeout: 10000 })
  assert.equal(await p.locator('#auth-dialog').isVisible(), true, 'still asking')
  await screenshot(p, 'daemon-ui-auth.png')

  await p.locator('#auth-pass').fill('right-pw')
  await p.locator('#auth-submit').click()
  await p.locator('#auth-dialog').waitFor({ state: 'hidden', timeout: 10000 })
  await p.waitForFunction(() => document.querySelector('#status').dataset.state === 'ready', null, { timeout: 10000 })
  await p.waitForFunction(() => document.querySelector('#error').hidden, null, { timeout: 10000 })
  assert.match(await p.locator('#version').textContent(), /^v\d/)
  assert.equal(await p.locator('#empty').isVisible(), true)
  // The signed-in page drives it: the limits dialog reads the session.
  await p.locator('#limits').click()
  await p.locator('#limits-dialog').waitFor({ state: 'visible' })
  await p.locator('#limits-dialog button[value=cancel]').click()
  await p.close()
})
