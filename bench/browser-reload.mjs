// How long a page reload takes to have a finished torrent seeding again
// (the browser keeps its pieces in IndexedDB and trusts the ones stored
// with their verified mark, so nothing should be hashed). A native Braid
// seeds the content over a ws:// peer to one headless Chromium page; once
// the download is complete the page is reloaded --reloads times.
//
//   scripts/netns.sh node bench/browser-reload.mjs [--size 256MiB] [--reloads 3] [--out FILE]
//
// Prints, per reload, the time from the reload to the torrent seeding and
// from the page's start to it, with the pieces hashed (resume.checked) and
// trusted; writes them as JSON to FILE. Asserts nothing about speed; exits
// 1 when a step fails.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const LIB = path.join(ROOT, 'web', 'e2e', 'lib')
const MiB = 1 << 20

function parseArgs (argv) {
  const a = { size: '256MiB', reloads: '3', out: '' }
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]
    const v = argv[i + 1]
    if (!['--size', '--reloads', '--out'].includes(k) || v === undefined) throw new Error(`browser-reload.mjs: bad argument ${k}`)
    a[k.slice(2)] = v
  }
  const m = /^(\d+)(MiB|GiB)$/.exec(a.size)
  if (!m) throw new Error(`browser-reload.mjs: --size ${a.size}: want e.g. 64MiB, 1GiB`)
  a.bytes = Number(m[1]) * (m[2] === 'GiB' ? 1024 * MiB : MiB)
  a.reloads = Number(a.reloads)
  if (!Number.isInteger(a.reloads) || a.reloads < 1 || a.reloads > 20) throw new Error('browser-reload.mjs: --reloads: want 1..20')
  return a
}

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
    braidCreate(content.dir, torrentFile, [])
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
      const rec = { reload: i + 1, bytes: a.bytes, pieces: done.pieces.total, ms: Date.now() - t0, afterStartMs: Date.now() - started, resume: st.resume }
      results.push(rec)
      log(`reload ${i + 1}: seeding ${rec.ms} ms after the reload (${rec.afterStartMs} ms after the page started), resume ${JSON.stringify(st.resume)}`)
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
