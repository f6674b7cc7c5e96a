// A torrent that can reach nobody says so instead of waiting silently: its
// only tracker is a closed port on 127.0.0.1, or it names no tracker and
// the public ones are off. The page's unreachableMs (default 20 s) is
// shortened here.
import assert from 'node:assert/strict'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { launch, screenshot } from './lib/browser.mjs'
import { download, openBraid } from './lib/braidpage.mjs'
import { Cleanup, log } from './lib/env.mjs'
import { braidCreate, freePort } from './lib/native.mjs'
import { startServers, tempContent, workDir } from './lib/scenario.mjs'

const cleanup = new Cleanup()
let web, page, work, content

before(async () => {
  ({ web } = await startServers(cleanup, { tracker: false }))
  content = tempContent(cleanup, 'lonely', { 'lonely.bin': 300000 })
  work = workDir(cleanup, 'lonely')
  const b = await launch({ name: 'braid-lonely', origins: [web.url], braidConfig: { unreachableMs: 2000 } })
  cleanup.add(b.close)
  page = await openBraid(b.ctx, web.url)
}, { timeout: 60000 })
after(() => cleanup.run(), { timeout: 60000 })

/** Waits for the row's note and returns its text. */
async function noteOf (ih) {
  const note = page.locator(`li[data-infohash="${ih}"] .row-note`)
  await note.waitFor({ state: 'visible', timeout: 30000 })
  return note.textContent()
}

test('the only tracker is a closed port: the row says no tracker is reachable', { timeout: 60000 }, async () => {
  const closed = `ws://127.0.0.1:${await freePort()}/announce` // nothing listens there
  const torrent = braidCreate(content.dir, path.join(work.dir, 'closed.torrent'), [closed])
  const t0 = Date.now()
  const r = await download(page, torrent)
  const text = await noteOf(r.infoHash)
  log(`note after ${Date.now() - t0} ms:`, text)
  await screenshot(page, 'reach-unreachable.png')
  assert.match(text, /^No tracker reachable and no peer after \d+ s: /)
  assert.ok(text.includes(closed), text)
  assert.ok(Date.now() - t0 >= 2000, 'shown before unreachableMs')
})

test('a magnet naming no tracker, public trackers off: the row says so', { timeout: 60000 }, async () => {
  const magnet = 'magnet:?xt=urn:btih:' + 'ab'.repeat(20) + '&dn=nobody'
  const r = await download(page, magnet)
  const text = await noteOf(r.infoHash)
  log('note:', text)
  assert.match(text, /^No tracker and no peer after \d+ s: this torrent names no WebSocket tracker/)
})

test('the public tracker list goes to magnets naming no WebSocket tracker and to torrents made in the tab', { timeout: 90000 }, async () => {
  // A stand-in public tracker: any ws:// URL (test mode refuses real ones).
  const pub = `ws://127.0.0.1:${await freePort()}/public`
  const own = `ws://127.0.0.1:${await freePort()}/own`
  const b = await launch({ name: 'braid-public', origins: [web.url], braidConfig: { publicTrackers: [pub] } })
  cleanup.add(b.close)
  const p = await openBraid(b.ctx, web.url)
  const urls = async ih => (await p.evaluate(h => window.braid.stats(h, ['trackers']), ih)).trackers.map(t => t.url)
  const bare = await download(p, 'magnet:?xt=urn:btih:' + 'cd'.repeat(20))
  assert.deepEqual(await urls(bare.infoHash), [pub])
  const named = await download(p, 'magnet:?xt=urn:btih:' + 'ef'.repeat(20) + '&tr=' + encodeURIComponent(own))
  assert.deepEqual(await urls(named.infoHash), [own])
  const made = await p.evaluate(async () => {
    const r = await window.braid.seed([{ name: 'made.txt', data: new TextEncoder().encode('made in the tab') }])
    return { infoHash: r.infoHash, torrent: new TextDecoder('latin1').decode(r.torrent) }
  })
  assert.ok(made.torrent.includes(`8:announce${pub.length}:${pub}`), made.torrent.slice(0, 200))
  assert.deepEqual(await urls(made.infoHash), [pub])
})
