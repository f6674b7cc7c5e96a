// The browser's own ceiling: raw data-channel throughput between two
// headless Chromium instances on loopback, with no BitTorrent on either
// side (a sender loop with back-pressure on bufferedAmount, a receiver that
// only counts bytes). Whatever a browser client reaches over WebRTC on this
// machine, it reaches below this line; bench/browser.mjs measures the
// clients themselves.
//
//   scripts/netns.sh node bench/rtc-ceiling.mjs [--from browser|node] [--size 32MiB] [--messages 16384,65536,262144] [--runs 3] [--window BYTES] [--echo BYTES] [--like webtorrent] [--out FILE]
//
// --from node sends from Node's WebRTC (@roamhq/wrtc, what the WebTorrent
// seeder in bench/browser.mjs uses) instead of a second Chromium.
// --window is how much the sender lets the channel buffer (bufferedAmount)
// before it waits: 4 MiB by default; 65536 is what WebTorrent's
// simple-peer allows.
// --echo N has the receiver send a 17-byte message (a request's size) back
// for every N bytes it receives, as a downloading client does.
// --like webtorrent sends the way WebTorrent's seeder does (bittorrent-
// protocol over simple-peer): each block as two messages, its 13-byte
// header and its data, with 64 KiB buffered at most; the receiver answers
// each block with a request-sized message. The defaults of --window and
// --echo follow; what this carries is the most any leecher can get from
// a WebTorrent seeder here, doing no BitTorrent work at all.
//
// Prints MiB/s per message size (median and spread over the runs) and
// writes them as JSON to FILE (make bench reports them beside the browser
// clients). Asserts nothing about speed.
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const LIB = path.join(ROOT, 'web', 'e2e', 'lib')
const MiB = 1 << 20

function parseArgs (argv) {
  const a = { from: 'browser', size: '32MiB', messages: '16384,65536,262144', runs: '3', window: '', echo: '', like: 'none', out: '' }
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]
    const v = argv[i + 1]
    if (!['--from', '--size', '--messages', '--runs', '--window', '--echo', '--like', '--out'].includes(k) || v === undefined) throw new Error(`rtc-ceiling.mjs: bad argument ${k}`)
    a[k.slice(2)] = v
  }
  const m = /^(\d+)MiB$/.exec(a.size)
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 1024) throw new Error(`rtc-ceiling.mjs: --size ${a.size}: want 1MiB..1024MiB`)
  a.bytes = Number(m[1]) * MiB
  // Chromium's data channels take messages up to 256 KiB.
  a.messages = a.messages.split(',').map(Number)
  if (a.messages.some(n => !Number.isInteger(n) || n < 1024 || n > 256 << 10)) throw new Error(`rtc-ceiling.mjs: --messages ${a.messages}: want sizes in 1024..262144`)
  if (!['browser', 'node'].includes(a.from)) throw new Error(`rtc-ceiling.mjs: --from ${a.from}: want browser or node`)
  if (!['none', 'webtorrent'].includes(a.like)) throw new Error(`rtc-ceiling.mjs: --like ${a.like}: want none or webtorrent`)
  const wt = a.like === 'webtorrent'
  a.header = wt
  a.window = Number(a.window || (wt ? 65536 : 4 << 20))
  if (!Number.isInteger(a.window) || a.window < 1024 || a.window > 64 << 20) throw new Error(`rtc-ceiling.mjs: --window ${a.window}: want 1024..67108864 bytes`)
  a.echo = a.echo === '' ? (wt ? -1 : 0) : Number(a.echo)
  if (!Number.isInteger(a.echo) || a.echo < -1) throw new Error(`rtc-ceiling.mjs: --echo ${a.echo}: want bytes ≥ 0, or -1 for one per block`)
  a.runs = Number(a.runs)
  if (!Number.isInteger(a.runs) || a.runs < 1 || a.runs > 20) throw new Error(`rtc-ceiling.mjs: --runs ${a.runs}: want 1..20`)
  return a
}

// Runs in a page: an RTCPeerConnection whose local description is complete
// (non-trickle), with the data channel created (offerer) or, on the
// answering side, counted from its first message as soon as it arrives
// (scope.got resolves once total bytes are in).
async function describe ({ offer, total, echo }, scope = window, RTC = RTCPeerConnection) {
  const pc = new RTC()
  scope.pc = pc
  const gathered = () => new Promise(resolve => {
    if (pc.iceGatheringState === 'complete') resolve()
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve()
  })
  if (!offer) {
    scope.dc = pc.createDataChannel('ceiling')
    await pc.setLocalDescription(await pc.createOffer())
  } else {
    scope.received = 0
    scope.got = new Promise(resolve => {
      pc.ondatachannel = e => {
        const dc = e.channel
        dc.binaryType = 'arraybuffer'
        let t0 = 0
        let owed = 0
        const ask = new Uint8Array(17) // the size of a BitTorrent request
        dc.onmessage = m => {
          if (!t0) t0 = performance.now()
          scope.received += m.data.byteLength
          if (echo < 0) {
            if (m.data.byteLength >= 1024) dc.send(ask) // a request per block, none per header
          } else {
            for (owed += echo ? m.data.byteLength : 0; owed >= echo && echo; owed -= echo) dc.send(ask)
          }
          if (scope.received >= total) resolve({ ms: performance.now() - t0, n: scope.received })
        }
      }
    })
    await pc.setRemoteDescription(offer)
    await pc.setLocalDescription(await pc.createAnswer())
  }
  await gathered()
  return { type: pc.localDescription.type, sdp: pc.localDescription.sdp }
}

async function send ({ total, size, window: high, header }, scope = window) {
  const dc = scope.dc
  if (dc.readyState !== 'open') await new Promise(resolve => { dc.onopen = resolve })
  const buf = new Uint8Array(size)
  const head = new Uint8Array(13) // a piece message's header, sent on its own
  dc.bufferedAmountLowThreshold = high / 4
  for (let sent = 0; sent < total;) {
    if (dc.bufferedAmount > high) {
      // The event, or a poll: Node's wrtc does not always fire it.
      await new Promise(resolve => { dc.onbufferedamountlow = resolve; setTimeout(resolve, 10) })
      continue
    }
    if (header) dc.send(head)
    dc.send(buf)
    sent += size
  }
}

// A sender in Node with the page-side functions' shape: evaluate(fn, arg).
async function nodePeer () {
  const { createRequire } = await import('node:module')
  const { RTCPeerConnection } = createRequire(path.join(ROOT, 'web', 'e2e', 'package.json'))('@roamhq/wrtc')
  const scope = {}
  return {
    evaluate: async (fn, arg) => {
      if (fn === describe) return describe(arg, scope, RTCPeerConnection)
      if (fn === send) return send(arg, scope)
      throw new Error('rtc-ceiling.mjs: no such step in Node')
    },
    node: true,
    answered: answer => scope.pc.setRemoteDescription(answer),
    closePeer: () => scope.pc.close()
  }
}

// The offerer's last step and the teardown, in a page or in Node.
const answered = (p, answer) => p.node ? p.answered(answer) : p.evaluate(answer => window.pc.setRemoteDescription(answer), answer)
const closePeer = p => p.node ? p.closePeer() : p.evaluate(() => window.pc.close())

async function main () {
  const a = parseArgs(process.argv.slice(2))
  const { launch } = await import(path.join(LIB, 'browser.mjs'))
  const { withTimeout } = await import(path.join(LIB, 'env.mjs'))
  const server = http.createServer((req, res) => { res.setHeader('content-type', 'text/html'); res.end('<!doctype html><title>ceiling</title>') })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${server.address().port}/`
  const browsers = []
  const timeoutMs = 60000 + 4000 * a.bytes / MiB
  try {
    const names = a.from === 'node' ? ['ceiling-receiver'] : ['ceiling-sender', 'ceiling-receiver']
    for (const name of names) browsers.push(await launch({ name, origins: [url] }))
    const pages = await Promise.all(browsers.map(async b => {
      const p = await b.ctx.newPage()
      await p.goto(url)
      return p
    }))
    const receiver = pages.at(-1)
    const sender = a.from === 'node' ? await nodePeer() : pages[0]
    const rows = []
    for (const size of a.messages) {
      const rates = []
      for (let run = 0; run < a.runs; run++) {
        const offer = await sender.evaluate(describe, {})
        const answer = await receiver.evaluate(describe, { offer, total: a.bytes, echo: a.echo })
        await answered(sender, answer)
        const got = receiver.evaluate(() => window.got)
        got.catch(() => {}) // awaited below; a failed send must not leave it unhandled
        await withTimeout(sender.evaluate(send, { total: a.bytes, size, window: a.window, header: a.header }), timeoutMs, 'sending')
        const r = await withTimeout(got, timeoutMs, 'receiving').catch(async e => {
          throw new Error(`${e.message}: ${await receiver.evaluate(() => window.received)} of ${a.bytes} bytes arrived`)
        })
        rates.push(r.n / MiB / (r.ms / 1000))
        await Promise.all([sender, receiver].map(closePeer))
      }
      rates.sort((x, y) => x - y)
      const n = rates.length
      const med = n % 2 ? rates[(n - 1) / 2] : (rates[n / 2 - 1] + rates[n / 2]) / 2
      rows.push({ message: size, MiBps: [med, rates[0], rates[n - 1]] })
    }
    const from = (a.from === 'node' ? 'Node (@roamhq/wrtc)' : 'Chromium') + (a.header ? ' framed like WebTorrent' : '')
    console.log(`${from} → Chromium data channel, ${a.bytes / MiB} MiB, ${a.runs} run(s)\n\n| message | MiB/s |\n|---|---|`)
    for (const r of rows) console.log(`| ${r.message / 1024} KiB | ${r.MiBps[0].toFixed(2)} (${r.MiBps[1].toFixed(2)}–${r.MiBps[2].toFixed(2)}) |`)
    if (a.out) fs.writeFileSync(a.out, JSON.stringify({ from: a.from, like: a.like, label: from, size: a.bytes, runs: a.runs, rows }) + '\n')
  } finally {
    for (const b of browsers) await b.close()
    server.close()
  }
}

main().then(() => process.exit(0), e => { console.error(process.env.DEBUG ? e.stack : `rtc-ceiling.mjs: ${String(e.message || e).split('\n')[0]}`); process.exit(1) })
