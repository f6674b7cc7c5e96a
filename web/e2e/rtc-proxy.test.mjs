// The Worker's RTCPeerConnection stand-in (web/rtc-worker.js) against the
// page's half (web/rtc-page.js), without a browser: the stand-in runs in a
// Node worker thread, the page's half in the main thread over
// @roamhq/wrtc's real RTCPeerConnection. Two stand-in connections
// negotiate with each other through the page, open a data channel and
// move numbered 16 KiB messages both ways; order, bytes, back-pressure
// accounting and close are checked.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import wrtc from '@roamhq/wrtc'
import { log } from './lib/env.mjs'

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

// web/ has no package.json saying its .js files are modules (browsers need
// none): load the page's half from a copy named .mjs.
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

// Runs in the worker thread: loads the stand-in as a classic script and
// drives two connections the way pion's js build does.
const workerMain = `
const { parentPort, workerData } = require('node:worker_threads')
const vm = require('node:vm')
globalThis.self = globalThis
vm.runInThisContext(workerData.shim, { filename: 'rtc-worker.js' })
const onRTC = self.braidInstallRTC((m, t) => parentPort.postMessage(m, t))
parentPort.on('message', m => onRTC(m))

const N = workerData.count, SIZE = 16 << 10
const gathered = pc => new Promise(resolve => {
  if (pc.iceGatheringState === 'complete') return resolve()
  pc.onicecandidate = e => { if (!e.candidate) resolve() }
})
function expect (dc, label) {
  let next = 0
  let bytes = 0
  return new Promise((resolve, reject) => {
    dc.binaryType = 'arraybuffer'
    dc.onmessage = e => {
      const b = new Uint8Array(e.data)
      if (b.length !== SIZE) return reject(new Error(label + ': message ' + next + ' has ' + b.length + ' bytes'))
      const seq = new DataView(e.data).getUint32(0)
      if (seq !== next) return reject(new Error(label + ': got message ' + seq + ', want ' + next))
      if (b[SIZE - 1] !== (seq & 0xff)) return reject(new Error(label + ': message ' + seq + ' corrupted'))
      next++
      bytes += b.length
      if (next === N) resolve(bytes)
    }
  })
}
async function sendAll (dc) {
  let maxBuffered = 0
  // One array for every message, as Go's reused scratch arrays: send must
  // copy it, never take it.
  const b = new Uint8Array(SIZE)
  for (let i = 0; i < N; i++) {
    while (dc.bufferedAmount > (1 << 20)) {
      await new Promise(resolve => { dc.onbufferedamountlow = resolve; setTimeout(resolve, 50) })
    }
    new DataView(b.buffer).setUint32(0, i)
    b[SIZE - 1] = i & 0xff
    dc.send(b)
    maxBuffered = Math.max(maxBuffered, dc.bufferedAmount)
  }
  return maxBuffered
}
;(async () => {
  const a = new RTCPeerConnection({ iceServers: [] })
  const b = new RTCPeerConnection({ iceServers: [] })
  const dcA = a.createDataChannel('braid')
  dcA.bufferedAmountLowThreshold = 256 << 10
  const dcB = new Promise(resolve => { b.ondatachannel = e => resolve(e.channel) })
  const openA = new Promise(resolve => { dcA.onopen = resolve })
  await a.setLocalDescription(await a.createOffer())
  await gathered(a)
  await b.setRemoteDescription(a.localDescription)
  await b.setLocalDescription(await b.createAnswer())
  await gathered(b)
  await a.setRemoteDescription(b.localDescription)
  const chB = await dcB
  chB.bufferedAmountLowThreshold = 256 << 10
  await openA
  if (chB.readyState !== 'open') await new Promise(resolve => { chB.onopen = resolve })
  const gotB = expect(chB, 'b')
  const gotA = expect(dcA, 'a')
  const [maxA, maxB] = await Promise.all([sendAll(dcA), sendAll(chB)])
  const [bytesB, bytesA] = await Promise.all([gotB, gotA])
  const closed = new Promise(resolve => { chB.onclose = resolve })
  const drained = dcA.bufferedAmount
  dcA.close()
  await closed
  a.close()
  b.close()
  parentPort.postMessage({ done: { bytesA, bytesB, maxA, maxB, drained, states: [a.connectionState, chB.readyState] } })
})().catch(e => parentPort.postMessage({ error: String(e.stack || e) }))
`

test('the Worker stand-in negotiates, carries ordered data both ways and closes', { timeout: 120000 }, async () => {
  globalThis.RTCPeerConnection = wrtc.RTCPeerConnection
  const hostRTC = await loadHostRTC()
  const count = 400 // 6.25 MiB each way
  const w = new Worker(workerMain, { eval: true, workerData: { shim: fs.readFileSync(path.join(WEB, 'rtc-worker.js'), 'utf8'), count } })
  let crossings = 0
  const rtc = hostRTC((m, t) => { if (m.op === 'recv') crossings++; w.postMessage(m, t) })
  let sendBatches = 0
  try {
    const result = await new Promise((resolve, reject) => {
      w.on('error', reject)
      w.on('message', m => {
        if (m.rtc) {
          if (m.op === 'send') sendBatches++
          rtc.onMessage(m)
        } else if (m.error) reject(new Error(m.error))
        else if (m.done) resolve(m.done)
      })
    })
    const total = count * (16 << 10)
    assert.equal(result.bytesA, total)
    assert.equal(result.bytesB, total)
    // Back-pressure: the stand-in's bufferedAmount counts bytes still on
    // their way to the page, so a sender waiting at 1 MiB never runs far over.
    assert.ok(result.maxA <= (1 << 20) + (16 << 10), `a's bufferedAmount reached ${result.maxA}`)
    assert.ok(result.maxB <= (1 << 20) + (16 << 10), `b's bufferedAmount reached ${result.maxB}`)
    assert.equal(result.states[0], 'closed')
    // Batching: fewer postMessages than messages, each way (Node's wrtc
    // hands over one message per event-loop turn, so receive batches stay
    // small here; sends go out 1 MiB at a time).
    log(`${2 * count} messages: ${crossings} receive batches, ${sendBatches} send batches`)
    assert.ok(crossings < 2 * count, `${crossings} receive batches for ${2 * count} messages`)
    assert.ok(sendBatches <= count / 4, `${sendBatches} send batches for ${2 * count} messages`)
  } finally {
    rtc.close()
    await w.terminate()
  }
})
