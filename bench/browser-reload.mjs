// How long a page reload takes to have a finished torrent seeding again
// (the browser keeps its pieces in IndexedDB and trusts the ones stored
// with their verified mark, so nothing should be hashed). A native Braid
// seeds the content over a ws:// peer to one headless Chromium page; once
// the download is complete the page is reloaded --reloads times.
//
//   scripts/netns.sh node bench/browser-reload.mjs [--size 256MiB] [--reloads 3] [--piece-length 256KiB] [--out FILE]
//
// Without --piece-length, `braid create` picks it from the size (1 MiB
// pieces at 1 GiB, which the browser stores as one value each; pieces up
// to 512 KiB are stored as 60 KiB values).
// Prints, per reload, the time from the reload to the torrent seeding with
// every piece readable (its first and last piece read back and compared
// with the seeder's file), from the page's start to it, the pieces hashed
// (resume.checked) and trusted, and where the time went: the "braid:"
// performance marks of the page (web/app.js, braid.js) and of the Worker
// (worker.js, and the wasm's internal/timing marks), in ms after the
// reload. Writes them as JSON to FILE. Asserts nothing about speed; exits
// 1 when a step fails.
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

// phaseOrder lists the marks in the order a reload passes them (those a
// run lacks are left out of the summary line).
const phaseOrder = [
  'nav-response', 'page-main', 'daemon-checked', 'config-loaded', 'worker-create', 'worker-init',
  'wasm-fetch', 'wasm-response', 'wasm-instantiated', 'go-ready', 'start', 'idb-open', 'client',
  'started', 'worker-ready', 'restore', 'saved', 'resume', 'record-loaded', 'marks-read', 'pieces-listed',
  'verified-read', 'storage-open', 'checked', 'session', 'resumed', 'restored', 'ready'
]

// marksOf returns the "braid:" marks of a page or Worker as epoch ms (the
// first of each name), plus the navigation's responseEnd for a page.
function marksOf (target) {
  return target.evaluate(() => {
    const out = {}
    for (const m of performance.getEntriesByType('mark')) {
      if (!m.name.startsWith('braid:')) continue
      const k = m.name.slice(6)
      if (!(k in out)) out[k] = performance.timeOrigin + m.startTime
    }
    const nav = performance.getEntriesByType?.('navigation')?.[0]
    if (nav) out['nav-response'] = performance.timeOrigin + nav.responseEnd
    return out
  })
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const LIB = path.join(ROOT, 'web', 'e2e', 'lib')
const MiB = 1 << 20

function parseArgs (argv) {
  const a = { size: '256MiB', reloads: '3', out: '', 'piece-length': '' }
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]
    const v = argv[i + 1]
    if (!['--size', '--reloads', '--out', '--piece-length'].includes(k) || v === undefined) throw new Error(`browser-reload.mjs: bad argument ${k}`)
    a[k.slice(2)] = v
  }
  const m = /^(\d+)(MiB|GiB)$/.exec(a.size)
  if (!m) throw new Error(`browser-reload.mjs: --size ${a.size}: want e.g. 64MiB, 1GiB`)
  a.bytes = Number(m[1]) * (m[2] === 'GiB' ? 1024 * MiB : MiB)
  if (a['piece-length']) {
    const p = /^(\d+)KiB$/.exec(a['piece-length'])
    if (!p || Number(p[1]) < 16 || Number(p[1]) & (Number(p[1]) - 1)) throw new Error(`browser-reload.mjs: --piece-length ${a['piece-length']}: want a power of two of at least 16KiB`)
    a.pieceLength = Number(p[1]) * 1024
  }
  a.reloads = Number(a.reloads)
  if (!Number.isInteger(a.reloads) || a.reloads < 1 || a.reloads > 20) throw new Error('browser-reload.mjs: --reloads: want 1..20')
  return a
}

function fileBytes (file, off, n) {
  const fd = fs.openSync(file, 'r')
  try {
    const b = Buffer.alloc(n)
    fs.readSync(fd, b, 0, n, off)
    return b
  } finally {
    fs.closeSync(fd)
  }
}

const sha256 = b => crypto.createHash('sha256').update(b).digest('hex')

async function main () {
  const a = parseArgs(process.argv.slice(2))
  process.env.BRAID_E2E_OUT = process.env.BRAID_E2E_OUT || fs.mkdtempSync(path.join(os.tmpdir(), 'braid-bench-reload-'))
  const { Cleanup, log, waitFor } = await import(path.join(LIB, 'env.mjs'))
  const { download, waitComplete, waitReady } = await import(path.join(LIB, 'braidpage.mjs'))
  const { braidCreate, startBraid } = await import(path.join(LIB, 'native.mjs'))
  const { openBraidProfile, startServers, tempContent, workDir } = await import(path.join(LIB, 'scenario.mjs'))
  const cleanup = new Cleanup()
  const results = []
  let code = 0
  try {
    const { web } = await startServers(cleanup, { tracker: false })
    const content = tempContent(cleanup, 'reload', { 'reload.bin': a.bytes })
    const work = workDir(cleanup, 'reload')
    const torrentFile = path.join(work.dir, 'reload.torrent')
    braidCreate(content.dir, torrentFile, [], { pieceLength: a.pieceLength })
    const seeder = await startBraid('reload-seeder', torrentFile, { mode: 'seed', dir: path.dirname(content.dir), noWebRTC: true, wsListen: '127.0.0.1:0' })
    cleanup.add(seeder.stop)
    const page = await openBraidProfile(cleanup, web, 'bench-reload')
    const r = await download(page, fs.readFileSync(torrentFile), { peers: [seeder.ws] })
    const { stats: done, ms } = await waitComplete(page, r.infoHash, 60000 + 4000 * a.bytes / MiB, 'download')
    log(`downloaded ${a.bytes / MiB} MiB (${done.pieces.total} pieces) in ${ms} ms`)
    await waitFor(async () => (await page.evaluate(ih => window.braid.stats(ih, ['state']), r.infoHash)).state === 'seeding', 30000, 'seeding')
    for (let i = 0; i < a.reloads; i++) {
      const t0 = Date.now()
      await page.reload({ timeout: 60000 })
      await waitReady(page, 120000)
      const started = Date.now()
      const st = await waitFor(async () => {
        const s = (await page.evaluate(() => window.braid.list())).find(s => s.info_hash === r.infoHash)
        return s && s.state === 'seeding' ? s : null
      }, 600000, 'the torrent to seed after the reload', 50)
      const seedingMs = Date.now() - t0
      // Seeding with its pieces available: every piece counted, and the
      // first and last pieces read back from storage as the seeder has them.
      const check = await page.evaluate(async ({ ih, pieceLen, total }) => {
        const s = await window.braid.stats(ih, ['pieces', 'progress', 'state'])
        const hex = b => [...new Uint8Array(b)].map(x => x.toString(16).padStart(2, '0')).join('')
        const sums = []
        for (const off of [0, Math.max(0, total - pieceLen)]) {
          const b = await window.braid.read(ih, 0, off, Math.min(pieceLen, total - off))
          sums.push(hex(await crypto.subtle.digest('SHA-256', b)))
        }
        return { have: s.pieces.have, total: s.pieces.total, progress: s.progress, state: s.state, sums }
      }, { ih: r.infoHash, pieceLen: a.bytes / done.pieces.total, total: a.bytes })
      const readyMs = Date.now() - t0
      const want = [0, Math.max(0, a.bytes - a.bytes / done.pieces.total)].map(off => sha256(fileBytes(path.join(content.dir, 'reload.bin'), off, Math.min(a.bytes / done.pieces.total, a.bytes - off))))
      if (check.have !== check.total || check.progress !== 1 || check.sums.join() !== want.join()) {
        throw new Error(`reload ${i + 1}: seeding but not whole: ${JSON.stringify(check)}, want sums ${want}`)
      }
      const marks = await marksOf(page)
      const w = page.workers().find(w => w.url().endsWith('/worker.js'))
      if (w) Object.assign(marks, await marksOf(w))
      const phases = {}
      for (const k of phaseOrder) if (k in marks) phases[k] = Math.round(marks[k] - t0)
      const rec = { reload: i + 1, bytes: a.bytes, pieces: done.pieces.total, ms: seedingMs, readyMs, afterStartMs: seedingMs - (started - t0), resume: st.resume, phases }
      results.push(rec)
      log(`reload ${i + 1}: seeding ${rec.ms} ms after the reload (${rec.afterStartMs} ms after the page started), first and last piece read back by ${readyMs} ms, resume ${JSON.stringify(st.resume)}`)
      log(`reload ${i + 1} phases (ms after the reload): ${Object.entries(phases).map(([k, v]) => `${k} ${v}`).join(', ')}`)
    }
  } catch (e) {
    console.error('browser-reload.mjs:', e)
    code = 1
  } finally {
    await cleanup.run()
  }
  if (a.out) fs.writeFileSync(a.out, JSON.stringify(results, null, 2) + '\n')
  process.exit(code)
}

main()
