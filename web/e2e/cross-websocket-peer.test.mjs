// Cross-transport (4): browser Braid downloads from a native Braid seeder
// that it reaches over a plain WebSocket (the peer wire inside WebSocket
// frames), with no tracker at all: the page is given the ws:// URL, either
// beside the torrent's bytes or inside a magnet link (x.pe), in which case
// the metadata (BEP 9) also comes over that WebSocket.
import assert from 'node:assert/strict'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { download, fileHashes, stats, waitComplete } from './lib/braidpage.mjs'
import { diffFiles, multiFileLayout } from './lib/content.mjs'
import { Cleanup, log, recordThroughput, waitFor } from './lib/env.mjs'
import { braidCreate, requireNative, startBraid, watchTransports } from './lib/native.mjs'
import { openBraidProfile, startServers, tempContent, workDir } from './lib/scenario.mjs'

const cleanup = new Cleanup()
let content, torrent, infoHash, seeder
const pages = {}

before(async () => {
  requireNative()
  const { web } = await startServers(cleanup, { tracker: false })
  content = tempContent(cleanup, 'ws-peer', multiFileLayout(0.5))
  const work = workDir(cleanup, 'ws-peer')
  const torrentFile = path.join(work.dir, 'ws-peer.torrent')
  torrent = braidCreate(content.dir, torrentFile, []) // no trackers
  seeder = await startBraid('cross4-native', torrentFile, {
    mode: 'seed', dir: path.dirname(content.dir), wsListen: '127.0.0.1:0', noWebRTC: true
  })
  cleanup.add(seeder.stop)
  assert.match(seeder.ws || '', /^ws:\/\/127\.0\.0\.1:\d+\/?$/, 'the seeder prints its WebSocket URL')
  const st = await seeder.progressWhere(p => p.state === 'seeding', 20000, 'seeder to verify its data')
  infoHash = st.info_hash
  // One fresh browser profile per case, started before the timed tests.
  for (const name of ['cross4-bytes', 'cross4-magnet']) pages[name] = await openBraidProfile(cleanup, web, name)
}, { timeout: 90000 })
after(() => cleanup.run(), { timeout: 60000 })

async function fetchInBrowser (name, src, opts, pair) {
  const page = pages[name]
  const t0 = Date.now()
  const r = await download(page, src, opts)
  assert.equal(r.infoHash, infoHash)
  const seen = watchTransports(page, r.infoHash)
  let st
  try {
    // A peer must turn up (and, for a magnet, hand over the metadata) soon.
    let last
    await waitFor(async () => {
      last = await stats(page, r.infoHash)
      return last.bytes_size > 0 && (last.peers > 0 || last.left === 0)
    }, 15000, `${name}: a peer over ${opts.peers?.[0] || src}`, 300).catch(e => {
      throw new Error(`${e.message}\n  browser state: ${JSON.stringify(last)}`)
    })
    st = (await waitComplete(page, r.infoHash, 40000, name)).stats
  } finally {
    log(`${name}: transports seen`, await seen.stop())
  }
  recordThroughput(pair, content.total, Date.now() - t0)
  assert.equal(st.name, content.name)
  assert.equal(st.hash_fails, 0)
  assert.ok(st.fetched >= content.total, `fetched ${st.fetched}`)
  assert.deepEqual(diffFiles(content, await fileHashes(page, r.infoHash)), [])
}

test('torrent bytes + ws:// peer, no tracker', { timeout: 60000 }, async () => {
  await fetchInBrowser('cross4-bytes', torrent, { peers: [seeder.ws] }, 'braid(native) → braid(browser) [websocket]')
})

test('magnet with x.pe=ws://…, metadata and data over the WebSocket', { timeout: 60000 }, async () => {
  const magnet = `magnet:?xt=urn:btih:${infoHash}&dn=${encodeURIComponent(content.name)}&x.pe=${encodeURIComponent(seeder.ws)}`
  log('magnet', magnet)
  await fetchInBrowser('cross4-magnet', magnet, {}, 'braid(native) → braid(browser) [websocket, magnet]')
})
