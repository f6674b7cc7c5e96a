// BitTorrent v2 (BEP 52) and hybrid torrents in the tab: a tab seeds a
// v2-only and a hybrid torrent it made with seed({protocol}) and another
// tab downloads each; WebTorrent in Node downloads the tab's hybrid over
// its v1 side; native Braid seeds a v2-only torrent to a tab over a
// WebSocket peer, by its .torrent and by a btmh magnet; WebTorrent in Node seeds a hybrid native Braid made and
// a tab downloads it. Every download is compared byte for byte.
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { download, fileHashes, stats, waitComplete } from './lib/braidpage.mjs'
import { diffFiles, flatLayout, multiFileLayout } from './lib/content.mjs'
import { Cleanup, log, recordThroughput, withTimeout } from './lib/env.mjs'
import { braidCreate, hashTree, infoBytes, requireNative, startBraid } from './lib/native.mjs'
import { browserSeederOf, openBraidProfile, peerDir, seedContent, tempContent, workDir } from './lib/scenario.mjs'
import { wtLeech, wtSeedTorrent } from './lib/webtorrent.mjs'

const cleanup = new Cleanup()
let s, work

before(async () => {
  requireNative()
  s = await browserSeederOf(cleanup, { name: 'v2-tab', layout: flatLayout(0.5), profile: 'v2-seeder' })
  work = workDir(cleanup, 'v2-browser')
}, { timeout: 180000 })
after(() => cleanup.run(), { timeout: 60000 })

/**
 * A fresh browser profile with the Braid page, for one test: closed when
 * fn ends, so no more browsers run at once than a test needs.
 */
async function withTab (name, fn) {
  const tab = await openBraidProfile(cleanup, s.web, name)
  log(`${name}: page ready`)
  try {
    return await fn(tab)
  } finally {
    await withTimeout(tab.context().close(), 15000, `closing ${name}`).catch(e => log(String(e)))
  }
}

/** The tab seeds the content as protocol; checks what seed() returned. */
async function tabSeeds (protocol) {
  log(`tab seeding ${protocol}: fetching and creating`)
  const seeded = await seedContent(s.page, s.files, { ...s.content, name: `${s.content.name}-${protocol}` }, s.tracker, { protocol })
  log(`tab seeding ${protocol}`, seeded.infoHash, seeded.infoHashV2)
  assert.equal(seeded.protocol, protocol)
  assert.match(seeded.infoHashV2, /^[0-9a-f]{64}$/)
  if (protocol === 'v2') assert.equal(seeded.infoHash, seeded.infoHashV2.slice(0, 40), 'a v2-only torrent is named by its truncated v2 hash')
  else assert.notEqual(seeded.infoHash, seeded.infoHashV2.slice(0, 40))
  await waitComplete(s.page, seeded.infoHash, 60000, `tab seeding ${protocol}`)
  return seeded
}

/** A tab downloads src and its files equal content; returns the final stats. */
async function tabFetches (tab, src, content, { infoHash, infoHashV2, protocol }, pair, opts = {}) {
  const t0 = Date.now()
  const r = await download(tab, src, opts)
  assert.equal(r.infoHash, infoHash)
  const { stats: st } = await waitComplete(tab, r.infoHash, 120000, pair)
  recordThroughput(pair, content.total, Date.now() - t0)
  assert.equal(st.hash_fails, 0)
  assert.equal(st.protocol, protocol)
  assert.equal(st.info_hash_v2, infoHashV2)
  assert.deepEqual(diffFiles(content, await fileHashes(tab, infoHashV2)), [], 'files found by the 64-hex hash')
  const byFull = await stats(tab, infoHashV2)
  assert.equal(byFull.info_hash, infoHash)
  return st
}

test('tab → tab, v2-only torrent made by seed({protocol: "v2"})', { timeout: 300000 }, async () => {
  const seeded = await tabSeeds('v2')
  const content = { ...s.content, name: `${s.content.name}-v2` }
  await withTab('v2-leech', tab => tabFetches(tab, seeded.torrent, content, seeded, 'braid(browser) → braid(browser) [v2]'))
  const up = await stats(s.page, seeded.infoHashV2)
  assert.ok(up.uploaded >= content.total, `the seeding tab uploaded ${up.uploaded}`)
})

test('tab → tab and tab → WebTorrent (v1 side), hybrid made by seed({protocol: "hybrid"})', { timeout: 300000 }, async () => {
  const seeded = await tabSeeds('hybrid')
  const content = { ...s.content, name: `${s.content.name}-hybrid` }
  await withTab('hybrid-leech', tab => tabFetches(tab, seeded.torrent, content, seeded, 'braid(browser) → braid(browser) [hybrid]'))

  // WebTorrent knows nothing of v2: it joins the v1 swarm and sees the
  // hybrid's padding files as files (of zeros).
  const dir = peerDir(work, 'wt-hybrid')
  const wt = await wtLeech(seeded.torrent, dir)
  cleanup.add(wt.stop)
  const ms = await wt.done(120000)
  recordThroughput('braid(browser) → webtorrent(node) [hybrid v1 side]', content.total, ms)
  assert.equal(wt.torrent.infoHash, seeded.infoHash)
  const got = hashTree(path.join(dir, content.name))
  const pads = got.filter(f => f.path.startsWith('.pad/'))
  assert.ok(pads.length > 0, 'a multi-file hybrid has padding files')
  for (const p of pads) assert.equal(p.sha256, zeroHash(p.length), `${p.path} holds zeros`)
  assert.deepEqual(diffFiles(content, got.filter(f => !f.path.startsWith('.pad/'))), [])
  await wt.stop()
})

test('native Braid (v2-only, braid create --protocol v2) → tab over a WebSocket peer, by .torrent and by btmh magnet', { timeout: 300000 }, async () => {
  const content = tempContent(cleanup, 'v2-native', multiFileLayout(0.25))
  const torrentFile = path.join(work.dir, 'v2-native.torrent')
  const torrent = braidCreate(content.dir, torrentFile, [], { protocol: 'v2' })
  const seeder = await startBraid('v2-native-seed', torrentFile, {
    mode: 'seed', dir: path.dirname(content.dir), wsListen: '127.0.0.1:0', noWebRTC: true
  })
  cleanup.add(seeder.stop)
  const st = await seeder.progressWhere(p => p.state === 'seeding', 30000, 'the native seeder to verify its data')
  const ids = torrentIds(torrent, 'v2')
  assert.equal(st.info_hash, ids.infoHash, 'native braid names a v2-only torrent by its truncated v2 hash')
  await withTab('v2-native-leech', tab => tabFetches(tab, torrent, content, { ...ids, protocol: 'v2' },
    'braid(native) → braid(browser) [v2, websocket]', { peers: [seeder.ws] }))
  // A btmh magnet: the metadata (BEP 9, checked by SHA-256), then the
  // piece layers by BEP 52 hash requests, then the data, over the WebSocket.
  const magnet = `magnet:?xt=urn:btmh:1220${ids.infoHashV2}&dn=${encodeURIComponent(content.name)}&x.pe=${encodeURIComponent(seeder.ws)}`
  log('btmh magnet', magnet)
  await withTab('v2-magnet-leech', tab => tabFetches(tab, magnet, content, { ...ids, protocol: 'v2' },
    'braid(native) → braid(browser) [v2 btmh magnet, websocket]'))
})

test('WebTorrent (Node) seeds the v1 side of a native Braid hybrid → tab', { timeout: 300000 }, async () => {
  const content = tempContent(cleanup, 'hybrid-wt', multiFileLayout(0.25))
  const torrentFile = path.join(work.dir, 'hybrid-wt.torrent')
  const torrent = braidCreate(content.dir, torrentFile, [s.tracker.ws], { protocol: 'hybrid' })
  // WebTorrent checks the padding files like any other: write their zeros.
  const { default: parseTorrent } = await import('parse-torrent')
  const parsed = await parseTorrent(torrent)
  for (const f of parsed.files) {
    const rel = path.relative(content.name, f.path)
    if (!rel.startsWith('.pad' + path.sep)) continue
    fs.mkdirSync(path.join(content.dir, '.pad'), { recursive: true })
    fs.writeFileSync(path.join(content.dir, rel), Buffer.alloc(f.length))
  }
  const seeder = await wtSeedTorrent(torrent, path.dirname(content.dir))
  cleanup.add(seeder.stop)
  const ids = torrentIds(torrent, 'hybrid')
  assert.equal(seeder.infoHash, ids.infoHash, 'WebTorrent computes the same v1 info hash')
  const st = await withTab('hybrid-wt-leech', tab => tabFetches(tab, torrent, content, { ...ids, protocol: 'hybrid' },
    'webtorrent(node) → braid(browser) [hybrid v1 side]'))
  assert.ok(st.fetched >= content.total, `fetched ${st.fetched}`)
})

/**
 * {infoHash, infoHashV2} of a v2 or hybrid .torrent as Braid names it:
 * the SHA-1 of the info dictionary for a hybrid, the SHA-256 truncated to
 * 20 bytes for a v2-only torrent.
 */
function torrentIds (torrent, protocol) {
  const info = infoBytes(torrent)
  const infoHashV2 = crypto.createHash('sha256').update(info).digest('hex')
  const infoHash = protocol === 'v2' ? infoHashV2.slice(0, 40) : crypto.createHash('sha1').update(info).digest('hex')
  return { infoHash, infoHashV2 }
}

function zeroHash (n) {
  return crypto.createHash('sha256').update(Buffer.alloc(n)).digest('hex')
}
