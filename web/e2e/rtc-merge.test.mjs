// The Worker's data-channel stand-in (web/rtc-worker.js) merges small
// messages (requests, HAVEs) for one channel into one data-channel message
// of at most 16 KiB, keeps the byte order, copies what it is given, and
// sends each larger message as it came. The stand-in runs in this process
// with a recording page.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import vm from 'node:vm'

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

test('small sends merge into one message per channel, in order, within 16 KiB', async () => {
  globalThis.self = globalThis
  vm.runInThisContext(fs.readFileSync(path.join(WEB, 'rtc-worker.js'), 'utf8'), { filename: 'rtc-worker.js' })
  const posts = []
  const onPage = self.braidInstallRTC((m, transfer) => posts.push({ m, transfer }))
  const pc = new self.RTCPeerConnection({})
  const a = pc.createDataChannel('a')
  const b = pc.createDataChannel('b')
  onPage({ op: 'dcev', dc: a._id, ev: 'open', state: 'open' })
  onPage({ op: 'dcev', dc: b._id, ev: 'open', state: 'open' })
  posts.length = 0

  const reused = new Uint8Array(17)
  const sent = []
  const sendA = bytes => { reused.set(bytes); a.send(reused.subarray(0, bytes.length)); sent.push(...bytes) }
  sendA([1, 2, 3])
  sendA([4, 5, 6, 7])
  reused.fill(0xee) // the stand-in copied what it was given
  const big = new Uint8Array(16 << 10).fill(9)
  a.send(big)
  sendA([10, 11])
  b.send(new Uint8Array([42]))
  sendA([12])
  assert.equal(a.bufferedAmount, 7 + (16 << 10) + 3)
  assert.equal(b.bufferedAmount, 1)
  assert.equal(posts.length, 0, 'nothing crosses before the flush delay')
  await sleep(40)
  assert.equal(posts.length, 1)
  const { m, transfer } = posts[0]
  assert.equal(m.op, 'send')
  const got = m.batch.map(([id, buf]) => [id === a._id ? 'a' : 'b', [...new Uint8Array(buf)]])
  assert.deepEqual(got.map(([id, bytes]) => [id, bytes.length]), [['a', 7], ['a', 16 << 10], ['a', 2], ['b', 1], ['a', 1]])
  assert.deepEqual(got[0][1], [1, 2, 3, 4, 5, 6, 7])
  assert.deepEqual(got[2][1], [10, 11])
  assert.deepEqual(got[3][1], [42])
  assert.deepEqual(got[4][1], [12])
  assert.equal(transfer.length, m.batch.length)

  // Many small messages fill 16 KiB messages, never more.
  posts.length = 0
  const msg = new Uint8Array(17).fill(7)
  for (let i = 0; i < 2000; i++) a.send(msg)
  await sleep(40)
  const sizes = posts.flatMap(p => p.m.batch.map(([, buf]) => buf.byteLength))
  assert.equal(sizes.reduce((x, y) => x + y, 0), 2000 * 17)
  assert.ok(sizes.every(n => n <= 16 << 10), `sizes ${sizes}`)
  assert.equal(sizes.length, Math.ceil(2000 * 17 / (Math.floor((16 << 10) / 17) * 17)))

  // Acknowledged bytes bring bufferedAmount back down.
  onPage({ op: 'buffered', batch: [[a._id, 7 + (16 << 10) + 3 + 2000 * 17, 0]] })
  assert.equal(a.bufferedAmount, 0)
  pc.close()
})
