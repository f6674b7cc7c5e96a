// Two hosts of a LAN (network namespaces on a private bridge, one address
// each, a default route, multicast): Chromium as people run it (no
// loopback flag, no camera grant) offers mDNS `.local` host candidates
// only, and Braid connects anyway: native ↔ browser both ways and
// browser ↔ browser, bytes compared. Host 1: the tracker; host 2: native
// Braid; hosts 3 and 4: a browser each, its page served from its own host
// (http://127.0.0.1, a secure context: only the candidates differ from
// the loopback tests).
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { launch, screenshot } from './lib/browser.mjs'
import { download, fileHashes, openBraid, seed, stats, waitComplete } from './lib/braidpage.mjs'
import { MiB, diffFiles, makeContent } from './lib/content.mjs'
import { BRAID, Cleanup, log, recordThroughput, requirePrereqs } from './lib/env.mjs'
import { makeLan, recordSDP, sdpCandidates } from './lib/lan.mjs'
import { braidCreate, hashTree, startBraid } from './lib/native.mjs'
import { spawnUntil } from './lib/servers.mjs'
import { tempContent, workDir } from './lib/scenario.mjs'

const cleanup = new Cleanup()
let lan, trackerWs, work, pageA, pageB

/** `braid web` on 127.0.0.1 inside host i: the page a browser there opens. */
async function webIn (i) {
  const { match, stop } = await spawnUntil(`lan-web-h${i}`, ...lan.wrap(i, BRAID, ['web', '--listen', '127.0.0.1:0']), /(http:\/\/[^\s]+)/)
  cleanup.add(stop)
  return match[1].endsWith('/') ? match[1] : match[1] + '/'
}

/** A browser in host i with the Braid page open; candidates recorded. */
async function browserIn (i, name) {
  const url = await webIn(i)
  const b = await launch({ name, lan: true, executablePath: lan.chromium(i) })
  cleanup.add(b.close)
  await recordSDP(b.ctx)
  const page = await openBraid(b.ctx, url)
  // localhost is a secure context: the page has nothing to warn about.
  assert.equal(await page.evaluate(() => globalThis.isSecureContext), true)
  assert.equal(await page.locator('#secure-note').count(), 0, 'a secure page shows the plain-http note')
  return page
}

before(async () => {
  requirePrereqs()
  lan = makeLan(4)
  cleanup.add(lan.down)
  const tr = await spawnUntil('lan-tracker', ...lan.wrap(1, BRAID, ['tracker', '--http', `${lan.hosts[0].addr}:0`, '--udp', '']), /(ws:\/\/[^\s]+)/)
  cleanup.add(tr.stop)
  trackerWs = tr.match[1]
  log('LAN tracker', trackerWs)
  work = workDir(cleanup, 'lan')
  pageA = await browserIn(3, 'lan-a')
  pageB = await browserIn(4, 'lan-b')
}, { timeout: 180000 })
after(() => cleanup.run(), { timeout: 60000 })

/** Native Braid in host 2 (LAN address, ICE on the LAN, no STUN). */
function nativeOpts (extra) {
  return { listen: `${lan.hosts[1].addr}:0`, rtcLoopback: false, wrap: (c, a) => lan.wrap(2, c, a), ...extra }
}

/** Asserts the page's connections used mDNS names, never its address. */
async function assertMDNS (page, host, { remoteMDNS }) {
  const c = await sdpCandidates(page)
  log(`candidates in the page of host ${host}`, c)
  assert.ok(c.connected >= 1, 'no RTCPeerConnection reached connected')
  assert.ok(c.local.length >= 1, 'no local candidate')
  for (const l of c.local) {
    assert.match(l, /\.local host$/, `a local candidate that is not an mDNS host name: ${l}`)
  }
  assert.ok(!c.local.some(l => l.startsWith(lan.hosts[host - 1].addr)), 'the page showed its own address')
  if (remoteMDNS) for (const r of c.remote) assert.match(r, /\.local host$/, `a remote candidate that is not an mDNS name: ${r}`)
}

test('native seeds, a browser on another host downloads (mDNS candidates)', { timeout: 180000 }, async () => {
  const content = tempContent(cleanup, 'lan-n2b', { 'from-native.bin': 3 * MiB + 4321, 'notes.txt': 777 })
  const torrentFile = path.join(work.dir, 'n2b.torrent')
  const torrent = braidCreate(content.dir, torrentFile, [trackerWs])
  const native = await startBraid('lan-native-seed', torrentFile, nativeOpts({ mode: 'seed', dir: path.dirname(content.dir) }))
  cleanup.add(native.stop)
  const t0 = Date.now()
  const r = await download(pageA, torrent)
  const { stats: st } = await waitComplete(pageA, r.infoHash, 150000, 'browser(h3)←native(h2)')
  recordThroughput('braid(native) → braid(browser) on a LAN, mDNS', content.total, Date.now() - t0)
  await screenshot(pageA, 'lan-native-to-browser.png')
  assert.equal(st.hash_fails, 0)
  assert.deepEqual(diffFiles(content, await fileHashes(pageA, r.infoHash)), [])
  await assertMDNS(pageA, 3, { remoteMDNS: false })
  const c = await sdpCandidates(pageA)
  assert.ok(c.remote.some(x => x.startsWith(lan.hosts[1].addr + ' ')), 'no connection to native Braid on host 2')
  await native.stop()
})

let seeded, seededContent

test('browser ↔ browser on two hosts (mDNS on both sides)', { timeout: 180000 }, async () => {
  seededContent = makeContent('lan-b2b', { 'tab.bin': 2 * MiB + 999, 'tab.txt': 1234 })
  cleanup.add(seededContent.cleanup)
  const files = seededContent.files.map(f => ({ name: f.path, data: fs.readFileSync(f.abs) }))
  seeded = await seed(pageA, files, { trackers: [trackerWs], name: seededContent.name })
  await waitComplete(pageA, seeded.infoHash, 60000, 'browser A verifying')
  const t0 = Date.now()
  const r = await download(pageB, seeded.torrent)
  assert.equal(r.infoHash, seeded.infoHash)
  const { stats: st } = await waitComplete(pageB, r.infoHash, 150000, 'browser(h4)←browser(h3)')
  recordThroughput('braid(browser) → braid(browser) on a LAN, mDNS', seededContent.total, Date.now() - t0)
  assert.equal(st.hash_fails, 0)
  assert.deepEqual(diffFiles(seededContent, await fileHashes(pageB, r.infoHash)), [])
  const up = await stats(pageA, seeded.infoHash)
  assert.ok(up.uploaded >= seededContent.total, `A uploaded ${up.uploaded}`)
  await assertMDNS(pageB, 4, { remoteMDNS: true })
  await assertMDNS(pageA, 3, { remoteMDNS: false })
})

// Native's own candidates are plain addresses, so this pair connects
// whichever side checks first; that pion resolves `.local` names by
// itself is TestNativeResolvesMDNSCandidates (transport/webrtc).
test('a browser seeds, native on another host downloads', { timeout: 180000 }, async () => {
  assert.ok(seeded, 'the browser ↔ browser test did not seed')
  const torrentFile = path.join(work.dir, 'b2n.torrent')
  fs.writeFileSync(torrentFile, seeded.torrent)
  const dir = path.join(work.dir, 'native-dl')
  fs.mkdirSync(dir)
  const native = await startBraid('lan-native-leech', torrentFile, nativeOpts({ mode: 'download', dir, seed: false }))
  cleanup.add(native.stop)
  const t0 = Date.now()
  const done = await native.complete(150000)
  recordThroughput('braid(browser) → braid(native) on a LAN, mDNS', seededContent.total, Date.now() - t0)
  log('native complete', done)
  const got = hashTree(path.join(dir, seededContent.name))
  assert.deepEqual(diffFiles(seededContent, got), [])
  await native.stop()
})
