// Reachability through TURN: coturn on 127.0.0.1, native Braid and browser
// Braid both told to use relay candidates only (the page through its
// settings dialog); the download completes and the pair ICE chose in the
// page is relay on our side, with allocations in coturn's log.
import assert from 'node:assert/strict'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { launch, screenshot } from './lib/browser.mjs'
import { download, fileHashes, openBraid, waitComplete, waitReady } from './lib/braidpage.mjs'
import { MiB, diffFiles } from './lib/content.mjs'
import { Cleanup, log, recordThroughput } from './lib/env.mjs'
import { braidCreate, startBraid } from './lib/native.mjs'
import { candidatePairs, recordCandidatePairs } from './lib/rtcstats.mjs'
import { startServers, tempContent, workDir } from './lib/scenario.mjs'
import { startTurn } from './lib/turn.mjs'

const cleanup = new Cleanup()
let tracker, web, content, work, turn, torrent, page

before(async () => {
  ({ tracker, web } = await startServers(cleanup))
  turn = await startTurn()
  cleanup.add(turn.stop)
  content = tempContent(cleanup, 'turn', { 'relayed.bin': 4 * MiB + 333 })
  work = workDir(cleanup, 'turn')
  const torrentFile = path.join(work.dir, 'turn.torrent')
  torrent = braidCreate(content.dir, torrentFile, [tracker.ws])
  const native = await startBraid('native-turn', torrentFile, {
    mode: 'seed',
    dir: path.dirname(content.dir),
    ice: ['--stun', 'none', '--turn', turn.url, '--turn-user', turn.username,
      '--turn-pass-file', turn.writeCredential(work.dir), '--relay-only']
  })
  cleanup.add(native.stop)
  const b = await launch({ name: 'braid-turn', origins: [web.url] })
  cleanup.add(b.close)
  await recordCandidatePairs(b.ctx)
  page = await openBraid(b.ctx, web.url)
}, { timeout: 120000 })
after(() => cleanup.run(), { timeout: 60000 })

test('native → browser through a TURN relay only', { timeout: 150000 }, async () => {
  // The settings dialog: no STUN, the TURN server, relay only, no public trackers.
  await page.click('#settings')
  await page.fill('#set-stun', '')
  await page.fill('#set-turn', turn.url)
  await page.fill('#set-turn-user', turn.username)
  await page.fill('#set-turn-pass', turn.credential)
  await page.check('#set-relay')
  await page.fill('#set-trackers', '')
  await Promise.all([page.waitForNavigation({ timeout: 30000 }), page.click('#set-save')])
  await waitReady(page)
  const saved = await page.evaluate(() => JSON.parse(localStorage.getItem('braid.settings')))
  assert.deepEqual(saved, {
    iceServers: [{ urls: [turn.url], username: turn.username, credential: turn.credential }],
    publicTrackers: [],
    iceTransportPolicy: 'relay'
  })
  const t0 = Date.now()
  const r = await download(page, torrent)
  const { stats: st } = await waitComplete(page, r.infoHash, 120000, 'browser←native via TURN')
  recordThroughput('braid(native) → braid(browser) through TURN (relay only)', content.total, Date.now() - t0)
  await screenshot(page, 'reach-turn.png')
  assert.deepEqual(diffFiles(content, await fileHashes(page, r.infoHash)), [])
  const pairs = await candidatePairs(page)
  log('candidate pairs (local/remote) sampled in the page', pairs, 'coturn allocations', turn.allocations())
  assert.ok(Object.keys(pairs).length > 0, 'no connected RTCPeerConnection was sampled')
  for (const k of Object.keys(pairs)) assert.match(k, /^relay\/relay$/, `a pair not relayed on both sides: ${k}`)
  assert.ok(turn.allocations() >= 2, `coturn allocations: ${turn.allocations()}`)
  assert.equal(st.hash_fails, 0)
})
