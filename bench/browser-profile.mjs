// CPU profile of browser Braid's download path: a native Braid seeder over a
// plain WebSocket (no tracker, no WebRTC) feeds Braid in headless Chromium
// while the DevTools protocol's sampling profiler runs in the page. Writes
// the .cpuprofile (open it in Chromium's DevTools) and prints the functions
// with the most self time, plus the transfer rate and the profiled thread's
// CPU time per MiB (busy samples only: less noisy than MiB/s on a shared
// machine). --trace records a Chromium trace instead (where the renderer's
// own time goes). --worker keeps the wasm in its Worker and profiles the
// Worker's thread (attached through the page's DevTools session); the
// page's longest main-thread task is printed too.
//
// --source braid: a Braid tab seeds to a Braid tab over WebRTC (engines in
// their Workers, through a WebSocket tracker) and four threads are profiled
// at once: each tab's main thread (which owns the data channels) and its
// Worker; each prints its busy CPU ms per MiB and top functions.
//
//   scripts/netns.sh node bench/browser-profile.mjs [--size 32MiB] [--out DIR] [--source ws|webtorrent|braid] [--trace] [--worker]
//
// Build web/braid.wasm without -s -w first (make web-profile) so the
// profile names Go functions.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const LIB = path.join(ROOT, 'web', 'e2e', 'lib')
const MiB = 1 << 20

function parseArgs (argv) {
  const a = { size: '32MiB', out: path.join(ROOT, 'test-output', 'profile'), source: 'ws', trace: false, worker: false }
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]
    const v = argv[i + 1]
    if (k === '--trace' || k === '--worker') {
      a[k.slice(2)] = true
      i--
      continue
    }
    if (!['--size', '--out', '--source'].includes(k) || v === undefined) throw new Error(`browser-profile.mjs: bad argument ${k}`)
    a[k.slice(2)] = v
  }
  const m = /^(\d+)MiB$/.exec(a.size)
  if (!m) throw new Error(`browser-profile.mjs: --size ${a.size}: want e.g. 32MiB`)
  a.bytes = Number(m[1]) * MiB
  if (!['ws', 'webtorrent', 'braid'].includes(a.source)) throw new Error(`browser-profile.mjs: --source ${a.source}: want ws, webtorrent or braid`)
  return a
}

/** Self time per function (ms), the top n, the total and the idle time, from a DevTools CPU profile. */
export function topSelf (profile, n = 40) {
  const dt = new Map()
  const { samples, timeDeltas, nodes } = profile
  const byId = new Map(nodes.map(x => [x.id, x]))
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i]
    dt.set(id, (dt.get(id) || 0) + (timeDeltas[i] || 0))
  }
  const self = new Map()
  let total = 0
  for (const [id, us] of dt) {
    const f = byId.get(id).callFrame
    const key = `${f.functionName || '(anonymous)'} ${f.url ? path.basename(f.url) : ''}`.trim()
    self.set(key, (self.get(key) || 0) + us)
    total += us
  }
  return { total: total / 1000, idle: (self.get('(idle)') || 0) / 1000, top: [...self].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => [k, us / 1000]) }
}

/**
 * A DevTools session on the page's dedicated Worker (the one running
 * braid.wasm): Target.setAutoAttach on the page's session, then commands
 * wrapped in Target.sendMessageToTarget (Playwright's CDPSession has no
 * flat child sessions). Returns {send(method, params)}.
 */
async function workerSession (cdp) {
  const attached = new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('browser-profile.mjs: no worker target within 15 s')), 15000)
    cdp.on('Target.attachedToTarget', ({ sessionId, targetInfo }) => {
      if (targetInfo.type !== 'worker') return
      clearTimeout(t)
      resolve(sessionId)
    })
  })
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false })
  const sessionId = await attached
  let next = 1
  const pending = new Map()
  cdp.on('Target.receivedMessageFromTarget', ({ sessionId: s, message }) => {
    if (s !== sessionId) return
    const m = JSON.parse(message)
    const p = pending.get(m.id)
    if (!p) return
    pending.delete(m.id)
    if (m.error) p.reject(new Error(`worker: ${m.error.message}`))
    else p.resolve(m.result)
  })
  return {
    send (method, params = {}) {
      const id = next++
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject })
        cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(reject)
      })
    }
  }
}

/** Starts the sampling profiler on a DevTools session (page or worker). */
async function startProfiler (s, intervalUs) {
  await s.send('Profiler.enable')
  await s.send('Profiler.setSamplingInterval', { interval: intervalUs })
  await s.send('Profiler.start')
}

/** Stops s's profiler, writes the profile as name.cpuprofile in dir and prints its busy time per MiB and top functions. */
async function reportProfile (s, name, dir, bytes, n = 25) {
  const { profile } = await s.send('Profiler.stop')
  const file = path.join(dir, `${name}.cpuprofile`)
  fs.writeFileSync(file, JSON.stringify(profile))
  const { total, idle, top } = topSelf(profile, n)
  const busy = total - idle
  console.log(`\n${name}: sampled ${total.toFixed(0)} ms, busy ${busy.toFixed(0)} ms = ${(busy / (bytes / MiB)).toFixed(1)} CPU ms/MiB; profile ${file}`)
  for (const [k, v] of top) console.log(`${v.toFixed(0).padStart(7)} ms ${(100 * v / total).toFixed(1).padStart(5)}%  ${k}`)
}

/**
 * --source braid: one Braid tab seeds (files fetched from a static server),
 * another downloads through the tracker over WebRTC; both tabs' main
 * threads and Workers are profiled during the download.
 */
async function braidPair (a) {
  const { Cleanup } = await import(path.join(LIB, 'env.mjs'))
  const { makeContent } = await import(path.join(LIB, 'content.mjs'))
  const { startServers } = await import(path.join(LIB, 'scenario.mjs'))
  const { startWebTorrentPages } = await import(path.join(LIB, 'servers.mjs'))
  const { download, openBraid, seedFromURLs, waitComplete } = await import(path.join(LIB, 'braidpage.mjs'))
  const { launch } = await import(path.join(LIB, 'browser.mjs'))
  const cleanup = new Cleanup()
  try {
    const { web, tracker } = await startServers(cleanup)
    const content = makeContent('profile', { 'data.bin': a.bytes })
    cleanup.add(content.cleanup)
    const pages = await startWebTorrentPages(content.dir)
    cleanup.add(pages.stop)
    const tabs = {}
    for (const name of ['seeder', 'leecher']) {
      const b = await launch({ name: `profile-${name}`, origins: [web.url] })
      cleanup.add(b.close)
      const page = await openBraid(b.ctx, web.url)
      const cdp = await page.context().newCDPSession(page)
      tabs[name] = { page, main: cdp, worker: await workerSession(cdp) }
    }
    const seeded = await seedFromURLs(tabs.seeder.page, pages.url + 'content/', ['data.bin'], { trackers: [tracker.ws], name: 'profile' })
    await waitComplete(tabs.seeder.page, seeded.infoHash, 120000, 'braid seeder verifying')
    const sessions = []
    for (const t of ['seeder', 'leecher']) for (const th of ['main', 'worker']) sessions.push([`braid-${t}-${th}`, tabs[t][th]])
    // A coarser interval than the single-thread runs: four threads share the CPUs.
    for (const [, s] of sessions) await startProfiler(s, 1000)
    const t0 = Date.now()
    const r = await download(tabs.leecher.page, seeded.torrent)
    await waitComplete(tabs.leecher.page, r.infoHash, 300000, 'profile leecher')
    const ms = Date.now() - t0
    console.log(`braid → braid: ${(a.bytes / MiB).toFixed(0)} MiB in ${(ms / 1000).toFixed(2)} s = ${(a.bytes / MiB / (ms / 1000)).toFixed(2)} MiB/s (tracker and connection set-up included)`)
    for (const t of ['seeder', 'leecher']) {
      const st = await tabs[t].page.evaluate(() => globalThis.__braidRTCStats)
      console.log(`${t} page ↔ Worker: received ${st.recvMessages} messages in ${st.recvBatches} batches, sent ${st.sendMessages} in ${st.sendBatches}`)
    }
    for (const [name, s] of sessions) await reportProfile(s, name, a.out, a.bytes)
  } finally {
    await cleanup.run()
  }
}

async function main () {
  const a = parseArgs(process.argv.slice(2))
  fs.mkdirSync(a.out, { recursive: true })
  process.env.BRAID_E2E_OUT = a.out
  if (a.source === 'braid') return braidPair(a)
  const { Cleanup } = await import(path.join(LIB, 'env.mjs'))
  const { makeContent } = await import(path.join(LIB, 'content.mjs'))
  const { braidCreate, startBraid, tempDir } = await import(path.join(LIB, 'native.mjs'))
  const { startServers, webTorrentSeeder } = await import(path.join(LIB, 'scenario.mjs'))
  const { download, openBraid, waitComplete } = await import(path.join(LIB, 'braidpage.mjs'))
  const { launch } = await import(path.join(LIB, 'browser.mjs'))
  const cleanup = new Cleanup()
  try {
    const { web, tracker } = await startServers(cleanup, { tracker: a.source === 'webtorrent' })
    const content = makeContent('profile', { 'data.bin': a.bytes })
    cleanup.add(content.cleanup)
    const work = tempDir('profile')
    cleanup.add(work.cleanup)
    let src, opts
    if (a.source === 'ws') {
      const tf = path.join(work.dir, 'profile.torrent')
      src = braidCreate(content.dir, tf, [])
      const seeder = await startBraid('profile-seeder', tf, { mode: 'seed', dir: path.dirname(content.dir), wsListen: '127.0.0.1:0', noWebRTC: true })
      cleanup.add(seeder.stop)
      await seeder.progressWhere(p => p.state === 'seeding', 30000, 'seeder to verify')
      opts = { peers: [seeder.ws] }
    } else {
      const seeder = await webTorrentSeeder(cleanup, content.dir, tracker.ws, {})
      src = seeder.torrentFile
      opts = {}
    }
    // Without --worker the profiler samples the page's own thread with the
    // wasm running there (loadBraid's worker: false), the same Go code as
    // in its Worker. --worker profiles the Worker's thread itself.
    const b = await launch({ name: 'profile', origins: [web.url], braidConfig: a.worker ? {} : { worker: false } })
    cleanup.add(b.close)
    const page = await openBraid(b.ctx, web.url)
    const cdp = await page.context().newCDPSession(page)
    const prof = a.worker && !a.trace ? await workerSession(cdp) : cdp
    if (a.trace) {
      await cdp.send('Tracing.start', { categories: 'devtools.timeline,blink,v8,toplevel,disabled-by-default-devtools.timeline', transferMode: 'ReturnAsStream' })
    } else {
      await prof.send('Profiler.enable')
      await prof.send('Profiler.setSamplingInterval', { interval: 200 })
      await prof.send('Profiler.start')
    }
    await page.evaluate(() => {
      globalThis.__longest = 0
      new PerformanceObserver(l => { for (const e of l.getEntries()) globalThis.__longest = Math.max(globalThis.__longest, e.duration) }).observe({ type: 'longtask' })
    })
    const t0 = Date.now()
    const r = await download(page, src, opts)
    await waitComplete(page, r.infoHash, 300000, 'profile')
    const ms = Date.now() - t0
    console.log(`longest main-thread task: ${(await page.evaluate(() => globalThis.__longest)).toFixed(0)} ms`)
    if (a.trace) {
      const done = new Promise(resolve => cdp.once('Tracing.tracingComplete', resolve))
      await cdp.send('Tracing.end')
      const { stream } = await done
      let json = ''
      for (;;) {
        const r = await cdp.send('IO.read', { handle: stream, size: 1 << 20 })
        json += r.base64Encoded ? Buffer.from(r.data, 'base64').toString() : r.data
        if (r.eof) break
      }
      await cdp.send('IO.close', { handle: stream })
      const file = path.join(a.out, `braid-${a.source}.trace.json`)
      fs.writeFileSync(file, json)
      console.log(`${a.source}: ${(a.bytes / MiB).toFixed(0)} MiB in ${(ms / 1000).toFixed(2)} s; trace ${file}`)
      return
    }
    const { profile } = await prof.send('Profiler.stop')
    const thread = a.worker ? 'worker' : 'page'
    const file = path.join(a.out, `braid-${a.source}-${thread}.cpuprofile`)
    fs.writeFileSync(file, JSON.stringify(profile))
    console.log(`${a.source}: ${(a.bytes / MiB).toFixed(0)} MiB in ${(ms / 1000).toFixed(2)} s = ${(a.bytes / MiB / (ms / 1000)).toFixed(2)} MiB/s; profile ${file}`)
    const { total, idle, top } = topSelf(profile)
    const busy = total - idle
    console.log(`${thread} thread: sampled ${total.toFixed(0)} ms, busy ${busy.toFixed(0)} ms = ${(busy / (a.bytes / MiB)).toFixed(1)} CPU ms/MiB`)
    for (const [k, v] of top) console.log(`${v.toFixed(0).padStart(7)} ms ${(100 * v / total).toFixed(1).padStart(5)}%  ${k}`)
  } finally {
    await cleanup.run()
  }
}

main().catch(e => { console.error(e.stack || String(e)); process.exit(1) })
