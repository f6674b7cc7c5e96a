// The page's half of the Worker's WebRTC (web/rtc-page.js) batches what it
// tells the Worker: received data-channel messages and the acknowledgements
// of the Worker's sends cross together, once per flush delay (or at once
// past a megabyte), while a channel's bufferedamountlow goes at once. Run
// against a fake RTCPeerConnection, so every crossing is counted exactly.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

async function loadHostRTC () {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-rtc-page-'))
  const file = path.join(dir, 'rtc-page.mjs')
  fs.copyFileSync(path.join(WEB, 'rtc-page.js'), file)
  try {
    return (await import(pathToFileURL(file).href)).hostRTC
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

// A data channel that records sends and holds what it is told to hold.
class FakeChannel {
  constructor (label) {
    this.label = label
    this.readyState = 'open'
    this.bufferedAmount = 0
    this.sent = []
  }

  send (buf) { this.sent.push(buf.byteLength); this.bufferedAmount += buf.byteLength }
  close () { this.readyState = 'closed' }
}

class FakePC {
  constructor () { FakePC.last = this }
  createDataChannel (label) { this.dc = new FakeChannel(label); return this.dc }
  close () {}
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

async function setup () {
  globalThis.RTCPeerConnection = FakePC
  const hostRTC = await loadHostRTC()
  const posts = []
  const rtc = hostRTC((m, transfer) => posts.push({ m, transfer }))
  rtc.onMessage({ op: 'pc', pc: 'w1', config: {} })
  rtc.onMessage({ op: 'dc', pc: 'w1', dc: 'w2', label: 'braid' })
  const dc = FakePC.last.dc
  posts.length = 0
  return { rtc, dc, posts }
}

test('received messages and send acknowledgements cross to the Worker together', async () => {
  const { rtc, dc, posts } = await setup()
  try {
    for (let i = 0; i < 5; i++) dc.onmessage({ data: new ArrayBuffer(16 << 10) })
    rtc.onMessage({ op: 'send', batch: [['w2', new ArrayBuffer(100)], ['w2', new ArrayBuffer(60)]] })
    assert.deepEqual(dc.sent, [100, 60], 'the Worker\'s messages went to the channel at once')
    assert.equal(posts.length, 0, 'nothing crossed before the flush delay')
    await sleep(30) // past the flush delay (8 ms), before the first bufferedAmount poll (50 ms)
    assert.equal(posts.length, 1, `${posts.length} crossings, want 1: ${JSON.stringify(posts.map(p => p.m.op))}`)
    const { m, transfer } = posts[0]
    assert.equal(m.op, 'recv')
    assert.equal(m.batch.length, 5)
    assert.ok(m.batch.every(([id, b]) => id === 'w2' && b.byteLength === 16 << 10))
    assert.equal(transfer.length, 5, 'every received buffer is transferred')
    assert.deepEqual(m.buffered, [['w2', 160, 160]])
    assert.equal(rtc.stats.recvBatches, 1)
    assert.equal(rtc.stats.recvMessages, 5)
  } finally {
    rtc.close()
  }
})

test('a megabyte received crosses at once; acknowledgements alone cross after the delay', async () => {
  const { rtc, dc, posts } = await setup()
  try {
    for (let i = 0; i < 64; i++) dc.onmessage({ data: new ArrayBuffer(16 << 10) })
    assert.equal(posts.length, 1, 'a full megabyte waits for no timer')
    assert.equal(posts[0].m.batch.length, 64)
    posts.length = 0
    rtc.onMessage({ op: 'send', batch: [['w2', new ArrayBuffer(10)]] })
    dc.bufferedAmount = 0 // drained before the poll
    await sleep(60)
    const acks = posts.filter(p => p.m.op === 'buffered')
    assert.ok(acks.length >= 1, 'the acknowledgement crossed')
    assert.deepEqual(acks[0].m.batch, [['w2', 10, 10]])
    assert.equal(posts.filter(p => p.m.op === 'recv').length, 0)
  } finally {
    rtc.close()
  }
})

test('bufferedamountlow reaches the Worker at once, with the bytes acknowledged so far', async () => {
  const { rtc, dc, posts } = await setup()
  try {
    rtc.onMessage({ op: 'send', batch: [['w2', new ArrayBuffer(300)]] })
    assert.equal(posts.length, 0)
    dc.bufferedAmount = 0
    dc.onbufferedamountlow()
    assert.equal(posts.length, 1)
    assert.deepEqual(posts[0].m, { rtc: true, op: 'buffered', batch: [['w2', 300, 0, true]] })
    await sleep(60)
    // Nothing was acknowledged twice.
    const acked = posts.flatMap(p => p.m.op === 'buffered' ? p.m.batch : (p.m.buffered || [])).reduce((n, x) => n + x[1], 0)
    assert.equal(acked, 300)
  } finally {
    rtc.close()
  }
})
