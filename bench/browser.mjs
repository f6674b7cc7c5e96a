// Browser benchmark (scenario 6 of the performance issue): Braid in headless
// Chromium against WebTorrent's browser build, on the same data.
//
//   node pair: a WebTorrent seeder in Node feeds one browser leecher, Braid
//              or WebTorrent (the same torrent, the same seeder);
//   browser pair: a browser seeder feeds a browser leecher of its own kind,
//              Braid → Braid and WebTorrent → WebTorrent;
//   ws pair:   a native Braid seeder (bin/braid seed --ws-listen) feeds the
//              Braid leecher over a WebSocket, no tracker (WebTorrent has no
//              WebSocket peers, so this pair has Braid alone).
//
// Runs are interleaved (one of each leecher, then the next run, alternating
// which goes first); each run opens a fresh browser profile per client,
// which downloads one torrent per pair, timed inside its page from adding
// the torrent to holding every byte, checked byte for byte, then removed.
// Also the longest main-thread task in each Braid leecher's page during its
// download (PerformanceObserver longtask; reported, not asserted) and the
// size of web/braid.wasm, raw and gzipped.
//
//   scripts/netns.sh node bench/browser.mjs --size 16MiB --runs 3 --out FILE [--logs DIR]
//
// BENCH_BRAID_WORKER=0 runs Braid's wasm on the page's main thread (loadBraid's
// worker: false) instead of its Worker, for comparison.
//
// Prints a table, writes the results as JSON to FILE, and exits 1 when any
// transfer failed. It asserts nothing about speed.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import zlib from 'node:zlib'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const LIB = path.join(ROOT, 'web', 'e2e', 'lib')
const MiB = 1 << 20
const PAIRS = {
  node: 'WebTorrent seeder in Node → browser leecher',
  browser: 'browser seeder → browser leecher of the same client',
  ws: 'native Braid seeder → browser leecher over a WebSocket'
}
const LABELS = {
  'braid:node': 'Braid ← WebTorrent (Node)',
  'webtorrent:node': 'WebTorrent ← WebTorrent (Node)',
  'braid:browser': 'Braid → Braid',
  'webtorrent:browser': 'WebTorrent → WebTorrent',
  'braid:ws': 'Braid ← Braid (native, WebSocket)'
}

function parseArgs (argv) {
  const a = { size: '16MiB', runs: 3, out: '', logs: '' }
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]
    const v = argv[i + 1]
    if (k === '-h' || k === '--help') {
      console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(0, 18).join('\n'))
      process.exit(0)
    }
    if (!['--size', '--runs', '--out', '--logs'].includes(k) || v === undefined) throw new Error(`browser.mjs: bad argument ${k}`)
    a[k.slice(2)] = v
    i++
  }
  a.bytes = parseSize(a.size)
  a.runs = Number(a.runs)
  if (!Number.isInteger(a.runs) || a.runs < 1 || a.runs > 50) throw new Error(`browser.mjs: --runs ${a.runs}: want 1..50`)
  return a
}

function parseSize (s) {
  const m = /^(\d+)(|KiB|MiB|GiB)$/.exec(s)
  if (!m) throw new Error(`browser.mjs: --size ${s}: want e.g. 2MiB, 16MiB`)
  const n = Number(m[1]) * { '': 1, KiB: 1 << 10, MiB: MiB, GiB: 1 << 30 }[m[2]]
  if (n < 256 << 10 || n > 1 << 30) throw new Error(`browser.mjs: --size ${s}: want 256KiB..1GiB`)
  return n
}

function median (xs) {
  const s = [...xs].sort((a, b) => a - b)
  const n = s.length
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}

function wasmSize () {
  const file = path.join(ROOT, 'web', 'braid.wasm')
  const data = fs.readFileSync(file)
  return { raw: data.length, gzip: zlib.gzipSync(data, { level: 9 }).length }
}

async function main () {
  const a = parseArgs(process.argv.slice(2))
  const logs = a.logs || fs.mkdtempSync(path.join(os.tmpdir(), 'braid-bench-browser-'))
  // The harness writes its logs where BRAID_E2E_OUT says when it is loaded.
  process.env.BRAID_E2E_OUT = logs
  const { Cleanup, log, withTimeout } = await import(path.join(LIB, 'env.mjs'))
  const { diffFiles, flatLayout } = await import(path.join(LIB, 'content.mjs'))
  const { fileHashes, seedFromURLs, waitComplete } = await import(path.join(LIB, 'braidpage.mjs'))
  const { startServers, tempContent, webTorrentSeeder } = await import(path.join(LIB, 'scenario.mjs'))
  const { startWebTorrentPages } = await import(path.join(LIB, 'servers.mjs'))
  const native = await import(path.join(LIB, 'native.mjs'))
  const bench = await import(path.join(LIB, 'bench.mjs'))

  const cleanup = new Cleanup()
  const stop = async code => { await cleanup.run(); process.exit(code) }
  process.on('SIGTERM', () => stop(143))
  process.on('SIGINT', () => stop(130))

  const started = new Date()
  const results = []
  const failures = []
  const timeoutMs = 60000 + 4000 * a.bytes / MiB // ≥ 0.25 MiB/s
  const wasm = wasmSize()
  const versions = {}
  const braidConfig = process.env.BENCH_BRAID_WORKER === '0' ? { worker: false } : {}
  try {
    const { tracker, web } = await startServers(cleanup)
    // One set of random files; each seeder names its torrent differently so
    // the four torrents have different info-hashes and never share peers.
    const content = tempContent(cleanup, 'bench-node', flatLayout(a.bytes / (16 * MiB)))
    const names = content.files.map(f => f.path)
    const pages = await startWebTorrentPages(content.dir)
    cleanup.add(pages.stop)
    const contentURL = pages.url + 'content/'
    log(`bench: ${content.total} bytes in ${names.length} files, ${a.runs} run(s)`)

    // The three seeders start side by side (none is timed).
    const braidSide = async () => {
      const s = await bench.openBraidPage(web.url, 'bench-braid-seeder', braidConfig)
      cleanup.add(s.close)
      const seeded = await seedFromURLs(s.page, contentURL, names, { trackers: [tracker.ws], name: 'bench-braid' })
      await waitComplete(s.page, seeded.infoHash, timeoutMs, 'braid seeder verifying')
      versions.braid = await s.page.evaluate(() => window.braid.version())
      return seeded
    }
    const wtSide = async () => {
      const s = await bench.openWebTorrentPage(pages.url, 'bench-wt-seeder')
      cleanup.add(s.close)
      return s
    }
    // The native seeder makes its torrent as `braid create` does for a
    // user (its own piece length) and is reached only by its ws:// URL.
    const nativeSide = async () => {
      native.requireNative()
      const file = path.join(logs, 'bench-ws.torrent')
      const torrent = native.braidCreate(content.dir, file, [])
      const s = await native.startBraid('bench-ws-seeder', file, {
        mode: 'seed', dir: path.dirname(content.dir), wsListen: '127.0.0.1:0', noWebRTC: true
      })
      cleanup.add(s.stop)
      await s.progressWhere(p => p.state === 'seeding', timeoutMs, 'native seeder verifying')
      if (!/^ws:\/\//.test(s.ws || '')) throw new Error('the native seeder printed no ws:// URL')
      return { torrent, ws: s.ws }
    }
    const [nodeSeeder, braidSeeded, wtSeeder, nativeSeeder] = await Promise.all([
      webTorrentSeeder(cleanup, content.dir, tracker.ws, { pieceLength: 256 << 10 }), braidSide(), wtSide(), nativeSide()])
    // WebTorrent seeds with the piece length Braid chose, so the browser pairs differ only in the client.
    const pieceLength = bench.pieceLengthOf(braidSeeded.torrent)
    const wtSeeded = await bench.webTorrentSeedInPage(wtSeeder.page, contentURL, names,
      { name: 'bench-wt', announce: [tracker.ws], pieceLength })
    log(`bench: seeders ready: node ${nodeSeeder.infoHash}, braid ${braidSeeded.infoHash} and webtorrent ${wtSeeded.infoHash} (piece ${pieceLength})`)

    const torrents = {
      'braid:node': { torrent: nodeSeeder.torrentFile, name: 'bench-node' },
      'webtorrent:node': { torrent: nodeSeeder.torrentFile, name: 'bench-node' },
      'braid:browser': { torrent: braidSeeded.torrent, name: 'bench-braid' },
      'webtorrent:browser': { torrent: wtSeeded.torrent, name: 'bench-wt' },
      'braid:ws': { torrent: nativeSeeder.torrent, name: 'bench-node', opts: { peers: [nativeSeeder.ws] } }
    }
    // One timed transfer by a leecher page; the torrent is removed after
    // it, so the page joins the next swarm as a leecher only.
    const leech = async (key, run, leecher) => {
      const [client, pair] = key.split(':')
      const { torrent, name, opts } = torrents[key]
      const rec = { pair, client, run, bytes: content.total, piece: bench.pieceLengthOf(torrent), ok: false }
      try {
        if (!leecher) throw new Error('no leecher page')
        let r, got
        if (client === 'braid') {
          r = await bench.braidTimedDownload(leecher.page, torrent, timeoutMs, opts)
          got = await fileHashes(leecher.page, r.infoHash)
          rec.fetched = r.stats.fetched
          rec.hash_fails = r.stats.hash_fails
          rec.longestTaskMs = r.longestTaskMs
          rec.longTasks = r.longTasks
          await bench.braidRemove(leecher.page, r.infoHash)
        } else {
          r = await bench.webTorrentTimedDownload(leecher.page, torrent, timeoutMs)
          got = r.files
          versions.webtorrent = r.version
          await bench.webTorrentRemove(leecher.page)
        }
        rec.seconds = r.ms / 1000
        rec.MiBps = content.total / MiB / rec.seconds
        const problems = diffFiles({ ...content, name }, got)
        if (problems.length) throw new Error('bytes differ: ' + problems.join('; '))
        rec.ok = true
      } catch (e) {
        rec.note = String(e.message || e).split('\n')[0].slice(0, 300)
        failures.push(`${LABELS[key]} run ${run}: ${rec.note}`)
      }
      results.push(rec)
      log(`bench: ${LABELS[key].padEnd(32)} run ${run}: ` +
        (rec.ok ? `${rec.seconds.toFixed(2)} s  ${rec.MiBps.toFixed(2)} MiB/s` : `FAILED ${rec.note}`) +
        (rec.longTasks?.length ? `  long tasks (ms at +ms): ${rec.longTasks.map(t => `${t.ms}@${t.atMs}`).join(' ')}` : ''))
    }
    // Each run opens a fresh profile per client, which downloads the node
    // pair's torrent and then the browser pair's; within a pair the two
    // clients take turns going first.
    for (let run = 1; run <= a.runs; run++) {
      const open = (client, f) => f().catch(e => {
        failures.push(`run ${run}: opening the ${client} leecher: ${String(e.message || e).split('\n')[0]}`)
        return null
      })
      const leechers = {}
      ;[leechers.braid, leechers.webtorrent] = await Promise.all([
        open('braid', () => bench.openBraidPage(web.url, `bench-braid-leecher-${run}`, braidConfig)),
        open('webtorrent', () => bench.openWebTorrentPage(pages.url, `bench-webtorrent-leecher-${run}`))])
      try {
        for (const pair of Object.keys(PAIRS)) {
          const order = run % 2 ? ['braid', 'webtorrent'] : ['webtorrent', 'braid']
          for (const client of order) if (LABELS[`${client}:${pair}`]) await leech(`${client}:${pair}`, run, leechers[client])
        }
      } finally {
        await Promise.all(Object.values(leechers).filter(Boolean).map(l =>
          withTimeout(l.close(), 20000, 'closing a leecher').catch(e => log(String(e)))))
      }
    }
  } catch (e) {
    failures.push(`setup: ${String(e.message || e).split('\n')[0]}`)
    log('bench: FAILED', String(e.stack || e))
  } finally {
    await cleanup.run()
  }

  const summary = {}
  for (const key of Object.keys(LABELS)) {
    const [client, pair] = key.split(':')
    const rs = results.filter(r => r.client === client && r.pair === pair)
    const ok = rs.filter(r => r.ok)
    const s = { label: LABELS[key], runs: rs.length, ok: ok.length }
    if (ok.length) {
      const lt = ok.map(r => r.longestTaskMs).filter(x => typeof x === 'number')
      if (lt.length) s.longestTaskMs = Math.max(...lt)
      const v = ok.map(r => r.MiBps)
      s.MiBps = [median(v), Math.min(...v), Math.max(...v)]
      const t = ok.map(r => r.seconds)
      s.seconds = [median(t), Math.min(...t), Math.max(...t)]
    }
    summary[key] = s
  }
  const out = {
    started: started.toISOString(),
    size: a.bytes,
    runs: a.runs,
    braidWorker: braidConfig.worker !== false,
    pairs: PAIRS,
    versions,
    wasm,
    summary,
    results,
    failures
  }
  console.log('\n' + table(out).join('\n'))
  if (a.out) {
    fs.mkdirSync(path.dirname(path.resolve(a.out)), { recursive: true })
    fs.writeFileSync(a.out, JSON.stringify(out, null, 1) + '\n')
    console.log(`wrote ${a.out}`)
  }
  if (failures.length) {
    console.error('\nFAILURES:\n  ' + failures.join('\n  ') + `\nlogs: ${logs}`)
    process.exit(1)
  }
  if (!a.logs) fs.rmSync(logs, { recursive: true, force: true })
  process.exit(0)
}

function spread (t, digits = 2) {
  if (!t) return 'failed'
  const [m, lo, hi] = t
  return lo === hi ? m.toFixed(digits) : `${m.toFixed(digits)} (${lo.toFixed(digits)}–${hi.toFixed(digits)})`
}

/** The results as Markdown table rows, with Braid's ratio to WebTorrent per pair. */
export function table (o) {
  const lines = [`Browser: ${(o.size / MiB).toFixed(1)} MiB, ${o.runs} run(s) per leecher, Braid's wasm ${o.braidWorker === false ? 'on the main thread' : 'in a Worker'}`, '',
    '| leecher ← seeder | ok | seconds | MiB/s | Braid ÷ WebTorrent |', '|---|---|---|---|---|']
  for (const pair of Object.keys(PAIRS)) {
    const b = o.summary[`braid:${pair}`]
    const w = o.summary[`webtorrent:${pair}`]
    const ratio = b?.MiBps && w?.MiBps ? `${(b.MiBps[0] / w.MiBps[0]).toFixed(2)}×` : '–'
    for (const [s, r] of [[b, ratio], [w, '']]) {
      if (!s) continue
      lines.push(`| ${s.label} | ${s.ok}/${s.runs} | ${spread(s.seconds)} | ${spread(s.MiBps)} | ${r} |`)
    }
  }
  for (const pair of Object.keys(PAIRS)) {
    const b = o.summary[`braid:${pair}`]
    // Chromium reports main-thread tasks over 50 ms; 0 means none was.
    if (b?.longestTaskMs !== undefined) lines.push('', `${b.label}: longest main-thread task ${b.longestTaskMs ? b.longestTaskMs.toFixed(0) + ' ms' : 'under 50 ms'}`)
  }
  lines.push('', `web/braid.wasm: ${(o.wasm.raw / MiB).toFixed(2)} MiB raw, ${(o.wasm.gzip / MiB).toFixed(2)} MiB gzip -9`)
  return lines
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch(e => { console.error(e.stack || e); process.exit(1) })
}
