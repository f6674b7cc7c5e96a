// The tab's memory while a large torrent downloads and is saved (issue 17:
// "a 2 GiB torrent downloads and saves with the tab's memory bounded").
// A native Braid seeds the content over a ws:// peer to one headless
// Chromium page; once complete, Save writes it to disk the way the page
// would: through the service worker (a download streamed from api.read),
// and, with --picker, through File System Access (a picked file: here one
// of the origin's private file system, since headless Chromium shows no
// dialog). The saved bytes are compared with the content.
//
//   scripts/netns.sh node bench/browser-save-memory.mjs [--size 2GiB] [--picker 1] [--out FILE]
//
// Every 500 ms it samples the resident memory (VmRSS) of Chromium's
// processes (all of them, and the largest renderer: the tab's, where the
// wasm runs), the page's JS heap (CDP Performance.getMetrics) and the
// wasm's linear memory, and
// prints the peak of each per phase (idle, download, save-worker,
// save-picker); writes them as JSON to FILE. Asserts nothing about memory;
// exits 1 when a step fails or the saved bytes differ.
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const LIB = path.join(ROOT, 'web', 'e2e', 'lib')
const MiB = 1 << 20

function parseArgs (argv) {
  const a = { size: '2GiB', picker: '1', out: '' }
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]
    const v = argv[i + 1]
    if (!['--size', '--picker', '--out'].includes(k) || v === undefined) throw new Error(`browser-save-memory.mjs: bad argument ${k}`)
    a[k.slice(2)] = v
  }
  const m = /^(\d+)(MiB|GiB)$/.exec(a.size)
  if (!m) throw new Error(`browser-save-memory.mjs: --size ${a.size}: want e.g. 256MiB, 2GiB`)
  a.bytes = Number(m[1]) * (m[2] === 'GiB' ? 1024 * MiB : MiB)
  if (a.bytes < MiB || a.bytes > 8 * 1024 * MiB) throw new Error('browser-save-memory.mjs: --size: want 1MiB..8GiB')
  a.picker = a.picker !== '0'
  return a
}

/** Content of n bytes written in 16 MiB chunks; returns its SHA-256. */
function writeRandom (file, n) {
  const h = crypto.createHash('sha256')
  const fd = fs.openSync(file, 'w')
  try {
    for (let off = 0; off < n; off += 16 * MiB) {
      const b = crypto.randomBytes(Math.min(16 * MiB, n - off))
      h.update(b)
      fs.writeSync(fd, b)
    }
  } finally { fs.closeSync(fd) }
  return h.digest('hex')
}

function sha256File (file) {
  const h = crypto.createHash('sha256')
  const fd = fs.openSync(file, 'r')
  const buf = Buffer.alloc(16 * MiB)
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      h.update(buf.subarray(0, n))
    }
  } finally { fs.closeSync(fd) }
  return h.digest('hex')
}

// ---- Chromium's processes: the browser (its --user-data-dir is the
// profile) and every descendant.

function procs () {
  const out = []
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      // Chromium's children rewrite their argv into one string: match text.
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ')
      out.push({ pid: Number(d), ppid, cmd })
    } catch { /* exited meanwhile */ }
  }
  return out
}

function rssKiB (pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : 0
  } catch { return 0 }
}

/** {total, renderer} resident KiB of the Chromium whose profile is dir. */
function chromiumRSS (dir) {
  const all = procs()
  const root = all.find(p => p.cmd.includes(`--user-data-dir=${dir} `) && !p.cmd.includes('--type='))
  if (!root) return { total: 0, renderer: 0 }
  const tree = new Set([root.pid])
  for (let grew = true; grew;) {
    grew = false
    for (const p of all) if (!tree.has(p.pid) && tree.has(p.ppid)) { tree.add(p.pid); grew = true }
  }
  let total = 0
  let renderer = 0
  for (const p of all) {
    if (!tree.has(p.pid)) continue
    const r = rssKiB(p.pid)
    total += r
    if (p.cmd.includes('--type=renderer')) renderer = Math.max(renderer, r)
  }
  return { total, renderer }
}

async function main () {
  const a = parseArgs(process.argv.slice(2))
  process.env.BRAID_E2E_OUT = process.env.BRAID_E2E_OUT || fs.mkdtempSync(path.join(os.tmpdir(), 'braid-bench-savemem-'))
  const { Cleanup, log, waitFor, withTimeout } = await import(path.join(LIB, 'env.mjs'))
  const { launch } = await import(path.join(LIB, 'browser.mjs'))
  const { download, openBraid, waitComplete } = await import(path.join(LIB, 'braidpage.mjs'))
  const { braidCreate, startBraid, tempDir } = await import(path.join(LIB, 'native.mjs'))
  const { startServers, workDir } = await import(path.join(LIB, 'scenario.mjs'))
  const cleanup = new Cleanup()
  const phases = {}
  let phase = 'idle'
  // Each phase's peaks are logged as it ends, so a run stopped early still says them.
  const setPhase = next => { log(`phase ${phase}: ${JSON.stringify(phases[phase] || {})}`); phase = next }
  let code = 0
  try {
    const { web } = await startServers(cleanup, { tracker: false })
    const content = tempDir('savemem-content')
    cleanup.add(content.cleanup)
    const file = path.join(content.dir, 'big.bin')
    log(`writing ${a.bytes / MiB} MiB of random content`)
    const want = writeRandom(file, a.bytes)
    const work = workDir(cleanup, 'savemem')
    const torrentFile = path.join(work.dir, 'big.torrent')
    braidCreate(file, torrentFile, [])
    const seeder = await startBraid('savemem-seeder', torrentFile, { mode: 'seed', dir: content.dir, noWebRTC: true, wsListen: '127.0.0.1:0' })
    cleanup.add(seeder.stop)
    const b = await launch({ name: 'bench-savemem', origins: [web.url] })
    cleanup.add(b.close)
    // The picker's one part a headless browser cannot show: the dialog.
    await b.ctx.addInitScript(() => {
      // Keeps the wasm instance, to read the size of its linear memory
      // (Go's heap lives there; it grows and never shrinks).
      for (const k of ['instantiate', 'instantiateStreaming']) {
        const orig = WebAssembly[k]
        if (!orig) continue
        WebAssembly[k] = async (...args) => {
          const r = await orig.apply(WebAssembly, args)
          if (r && r.instance) globalThis.__braidWasm = r.instance
          return r
        }
      }
      window.__pickerOff = () => Object.defineProperty(window, 'showSaveFilePicker', { value: undefined, configurable: true })
      window.__pickerOPFS = () => Object.defineProperty(window, 'showSaveFilePicker', {
        configurable: true,
        value: async ({ suggestedName }) => (await navigator.storage.getDirectory()).getFileHandle(suggestedName, { create: true })
      })
    })
    const page = await openBraid(b.ctx, web.url)
    const cdp = await b.ctx.newCDPSession(page)
    await cdp.send('Performance.enable')
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        const rss = chromiumRSS(b.profileDir)
        let heap = 0
        let wasm = 0
        try {
          const m = await cdp.send('Performance.getMetrics')
          heap = (m.metrics.find(x => x.name === 'JSHeapUsedSize') || {}).value || 0
          wasm = await withTimeout(page.evaluate(() => {
            const e = globalThis.__braidWasm && globalThis.__braidWasm.exports
            const mem = e && Object.values(e).find(v => v instanceof WebAssembly.Memory)
            return mem ? mem.buffer.byteLength : 0
          }), 5000, 'wasm memory size')
        } catch { /* page busy or gone */ }
        const p = phases[phase] ||= { peakTotalMiB: 0, peakRendererMiB: 0, peakJSHeapMiB: 0, peakWasmMiB: 0, samples: 0 }
        p.peakTotalMiB = Math.max(p.peakTotalMiB, Math.round(rss.total / 1024))
        p.peakRendererMiB = Math.max(p.peakRendererMiB, Math.round(rss.renderer / 1024))
        p.peakJSHeapMiB = Math.max(p.peakJSHeapMiB, Math.round(heap / MiB))
        p.peakWasmMiB = Math.max(p.peakWasmMiB, Math.round(wasm / MiB))
        p.samples++
        await new Promise(resolve => setTimeout(resolve, 500))
      }
    })()
    cleanup.add(async () => { sampling = false; await sampler })
    await new Promise(resolve => setTimeout(resolve, 3000))

    setPhase('download')
    let t0 = Date.now()
    const r = await download(page, fs.readFileSync(torrentFile), { peers: [seeder.ws] })
    await waitComplete(page, r.infoHash, 120000 + 2000 * a.bytes / MiB, 'download')
    phases.download.ms = Date.now() - t0
    log(`downloaded ${a.bytes / MiB} MiB in ${phases.download.ms} ms`)
    await page.click(`li[data-infohash="${r.infoHash}"] .expand`)
    const saveBtn = `li[data-infohash="${r.infoHash}"] tr[data-index="0"] .save:not([disabled])`

    setPhase('save-worker')
    await page.evaluate(() => window.__pickerOff())
    await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 30000 })
    const method = await page.evaluate(() => import('./save.js').then(m => m.saveMethod()))
    if (method !== 'worker') throw new Error(`save method ${method}, want worker`)
    t0 = Date.now()
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), page.click(saveBtn)])
    const saved = await withTimeout(dl.path(), 60000 + 2000 * a.bytes / MiB, 'the service-worker download')
    phases['save-worker'].ms = Date.now() - t0
    phases['save-worker'].same = sha256File(saved) === want
    log(`saved through the service worker in ${phases['save-worker'].ms} ms, bytes ${phases['save-worker'].same ? 'equal' : 'DIFFER'}`)
    if (!phases['save-worker'].same) code = 1
    await dl.delete()

    if (a.picker) {
      setPhase('save-picker')
      await page.evaluate(() => window.__pickerOPFS())
      t0 = Date.now()
      await page.click(saveBtn)
      // The picked file has its length once the writer closes it, and
      // Save re-enables its button then.
      const size = await waitFor(() => page.evaluate(async ({ sel, bytes }) => {
        let n = 0
        try { n = (await (await (await navigator.storage.getDirectory()).getFileHandle('big.bin')).getFile()).size } catch { return 0 }
        const btn = document.querySelector(sel)
        return n === bytes && btn && !btn.dataset.saving ? n : 0
      }, { sel: `li[data-infohash="${r.infoHash}"] tr[data-index="0"] .save`, bytes: a.bytes }), 60000 + 2000 * a.bytes / MiB, 'the picked file to be written', 500)
      phases['save-picker'].ms = Date.now() - t0
      phases['save-picker'].same = size === a.bytes
      log(`saved to a picked file in ${phases['save-picker'].ms} ms (${size} bytes)`)
      if (!phases['save-picker'].same) code = 1
    }
    setPhase('done')
  } catch (e) {
    console.error('browser-save-memory.mjs:', e)
    code = 1
  } finally {
    await cleanup.run()
  }
  delete phases.done
  const report = { bytes: a.bytes, phases }
  console.log(JSON.stringify(report, null, 2))
  if (a.out) fs.writeFileSync(a.out, JSON.stringify(report, null, 2) + '\n')
  process.exit(code)
}

main()
