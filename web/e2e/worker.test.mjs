// Braid's engine runs in a dedicated Worker: the page never loads the wasm,
// the Worker does, and WebRTC still works through the page's
// RTCPeerConnections (a worker-mode tab downloads from a page-mode tab,
// loadBraid({worker: false}), and the reverse).
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { launch } from './lib/browser.mjs'
import { download, fileHashes, openBraid, stats, waitComplete } from './lib/braidpage.mjs'
import { diffFiles, flatLayout } from './lib/content.mjs'
import { Cleanup, log, withTimeout } from './lib/env.mjs'
import { browserSeederOf, seedContent } from './lib/scenario.mjs'

const cleanup = new Cleanup()
let content, tracker, files, web, workerPage, inPage

before(async () => {
  const s = await browserSeederOf(cleanup, { name: 'worker-mode', layout: flatLayout(0.25), profile: 'worker-a' })
  ;({ tracker, content, files, web, page: workerPage } = s)
  const b = await launch({ name: 'in-page-b', origins: [web.url], braidConfig: { worker: false } })
  cleanup.add(b.close)
  inPage = await openBraid(b.ctx, web.url)
}, { timeout: 120000 })
after(() => cleanup.run(), { timeout: 60000 })

// Where the Go runtime lives: the page's global Go (wasm_exec.js) and its
// workers' URLs.
async function runtimeOf (page) {
  const inPage = await page.evaluate(() => typeof globalThis.Go)
  const workers = []
  for (const w of page.workers()) {
    workers.push({ url: w.url(), go: await withTimeout(w.evaluate(() => typeof globalThis.Go), 5000, 'worker evaluate') })
  }
  return { inPage, workers }
}

test('the wasm runs in a Worker by default, in the page with worker: false', { timeout: 30000 }, async () => {
  const w = await runtimeOf(workerPage)
  log('default page runtime', w)
  assert.equal(w.inPage, 'undefined', 'the page itself loaded wasm_exec.js')
  assert.ok(w.workers.some(x => x.url.endsWith('/worker.js') && x.go === 'function'), 'no Braid worker running Go')
  const p = await runtimeOf(inPage)
  log('worker: false page runtime', p)
  assert.equal(p.inPage, 'function')
  assert.ok(!p.workers.some(x => x.url.endsWith('/worker.js')))
  // version() stays synchronous through the Worker.
  const v = await workerPage.evaluate(() => { const v = window.braid.version(); return v instanceof Promise ? 'promise' : v })
  assert.match(v.version, /^-BD/)
  // Errors keep their stable code across the Worker boundary.
  const e = await workerPage.evaluate(() => window.braid.stats('00'.repeat(20)).then(() => null, e => ({ code: e.code, message: e.message })))
  assert.equal(e?.code, 'torrent_not_found')
})

test('WebRTC through the page: a Worker tab seeds to an in-page tab and back', { timeout: 200000 }, async () => {
  const seeded = await seedContent(workerPage, files, content, tracker)
  await waitComplete(workerPage, seeded.infoHash, 60000, 'worker tab verifying')
  const r = await download(inPage, seeded.torrent)
  const { stats: st } = await waitComplete(inPage, r.infoHash, 120000, 'in-page tab ← worker tab')
  assert.equal(st.hash_fails, 0)
  assert.ok((st.peers_by_transport?.webrtc || 0) >= 1 || st.fetched >= content.total, 'no WebRTC peer seen')
  assert.deepEqual(diffFiles(content, await fileHashes(inPage, r.infoHash)), [])
  const up = await stats(workerPage, seeded.infoHash)
  assert.ok(up.uploaded >= content.total, `worker tab uploaded ${up.uploaded}`)
  // The Worker's sends reached the page in batches.
  const sent = await workerPage.evaluate(() => ({ ...globalThis.__braidRTCStats }))
  log('worker tab data-channel crossings while seeding', sent)
  assert.ok(sent.sendMessages >= content.total / (16 << 10), `only ${sent.sendMessages} messages sent`)
  assert.ok(sent.sendBatches < sent.sendMessages / 2, 'sends were not batched')

  // The reverse: the Worker tab receives. A fresh database name in the
  // Worker tab is not needed: it removes its copy first.
  await workerPage.evaluate(ih => window.braid.remove(ih, { deleteData: true }), seeded.infoHash)
  const back = await download(workerPage, seeded.torrent)
  const { stats: st2 } = await waitComplete(workerPage, back.infoHash, 120000, 'worker tab ← in-page tab')
  assert.equal(st2.hash_fails, 0)
  assert.ok(st2.fetched >= content.total, `worker tab fetched ${st2.fetched}`)
  assert.deepEqual(diffFiles(content, await fileHashes(workerPage, back.infoHash)), [])
  const got = await workerPage.evaluate(() => ({ ...globalThis.__braidRTCStats }))
  log('worker tab data-channel crossings after receiving', got)
  assert.ok(got.recvMessages >= content.total / (16 << 10), `only ${got.recvMessages} messages received`)
  assert.ok(got.recvBatches < got.recvMessages, 'no two received messages shared a batch')
})
