// web/rpc-backend.js under Node against a scripted RPC server: the 409
// handshake (taken and retried, a daemon that keeps refusing), 401 before
// and after credentials, 421, a refused method, an unreachable daemon,
// detection, and the mapping of Transmission's fields to the page's.
import assert from 'node:assert/strict'
import http from 'node:http'
import { after, before, test } from 'node:test'

let server, base, script
const seen = [] // requests: {method, sid, auth, client, body}

before(async () => {
  server = http.createServer((req, res) => {
    let body = ''
    req.on('data', d => { body += d })
    req.on('end', () => {
      if (req.url === '/braid/daemon.json') {
        const m = script.marker || { status: 404 }
        res.writeHead(m.status || 200, { 'Content-Type': m.type || 'application/json' })
        res.end(m.body || '')
        return
      }
      const r = { method: req.method, sid: req.headers['x-transmission-session-id'], auth: req.headers.authorization, client: req.headers['x-braid-client'], body: body ? JSON.parse(body) : null }
      seen.push(r)
      const a = script.answer(r)
      res.writeHead(a.status || 200, { 'Content-Type': 'application/json', ...(a.headers || {}) })
      res.end(a.body !== undefined ? a.body : JSON.stringify({ result: 'success', arguments: a.args || {} }))
    })
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${server.address().port}/`
  // The browser globals the module reads.
  globalThis.location = new URL(base)
  const store = new Map()
  globalThis.sessionStorage = { getItem: k => store.get(k) ?? null, setItem: (k, v) => store.set(k, String(v)) }
})
after(() => new Promise(resolve => server.close(resolve)))

const { connectDaemon, detectDaemon, statsOf } = await import('../rpc-backend.js')
const marker = { braid: 'daemon', rpc: '/transmission/rpc', auth: false }

// The session id handshake: the first request has none, gets 409, is sent again.
function withSession (sid, fn) {
  return r => r.sid !== sid ? { status: 409, headers: { 'X-Transmission-Session-Id': sid }, body: '<h1>409</h1>' } : fn(r)
}

test('detection: only a daemon marker counts', async () => {
  script = { marker: { status: 404 } }
  assert.equal(await detectDaemon(), null)
  script = { marker: { body: '<html>', type: 'text/html' } }
  assert.equal(await detectDaemon(), null)
  script = { marker: { body: JSON.stringify({ braid: 'web' }) } }
  assert.equal(await detectDaemon(), null)
  script = { marker: { body: JSON.stringify({ braid: 'daemon', rpc: 'http://evil.example/rpc' }) } }
  assert.equal(await detectDaemon(), null, 'the RPC is on the same origin')
  script = { marker: { body: JSON.stringify({ braid: 'daemon', rpc: '//evil.example/rpc' }) } }
  assert.equal(await detectDaemon(), null, 'the RPC is on the same origin')
  script = { marker: { body: JSON.stringify(marker) } }
  assert.deepEqual(await detectDaemon(), marker)
})

test('a 409 hands the session id; the call is sent again and the state is online', async () => {
  const states = []
  script = { answer: withSession('s1', r => ({ args: { version: '0.1.0 (Braid)', 'rpc-version': 17 } })) }
  const api = connectDaemon(marker, { onState: s => states.push(s) })
  seen.length = 0
  assert.deepEqual(await api.version(), { release: '0.1.0', daemon: '0.1.0 (Braid)', rpcVersion: 17 })
  assert.equal(seen.length, 2)
  assert.equal(seen[0].sid, undefined)
  assert.equal(seen[1].sid, 's1')
  assert.equal(seen[1].client, 'web', 'the page marks its calls (no Basic challenge)')
  assert.deepEqual(seen[1].body, { method: 'session-get', arguments: { fields: ['version', 'rpc-version'] } })
  // A restarted daemon: a new id, taken again.
  script = { answer: withSession('s2', () => ({ args: { torrents: [] } })) }
  assert.deepEqual(await api.list(), [])
  assert.deepEqual(states, ['online'])
})

test('a daemon that keeps refusing the session id is an error, not a loop', async () => {
  let n = 0
  script = { answer: () => ({ status: 409, headers: { 'X-Transmission-Session-Id': `x${n++}` } }) }
  const states = []
  const api = connectDaemon(marker, { onState: s => states.push(s) })
  await assert.rejects(api.list(), e => e.code === 'session' && /409/.test(e.message))
  assert.equal(n, 3)
  assert.deepEqual(states, ['session'])
})

test('401 asks for credentials; they are sent as HTTP Basic once given', async () => {
  const states = []
  script = { answer: withSession('s', r => r.auth === 'Basic ' + Buffer.from('alice:pä ss').toString('base64') ? { args: { torrents: [] } } : { status: 401, body: '401: Unauthorized' }) }
  const api = connectDaemon({ ...marker, auth: true }, { onState: s => states.push(s) })
  await assert.rejects(api.list(), e => e.code === 'unauthorized' && /needs a username and password \(HTTP 401\)/.test(e.message))
  api.setCredentials('alice', 'wrong')
  await assert.rejects(api.list(), e => e.code === 'unauthorized' && /refused this username and password/.test(e.message))
  api.setCredentials('alice', 'pä ss')
  assert.deepEqual(await api.list(), [])
  assert.deepEqual(states, ['auth', 'online'])
  assert.ok(connectDaemon(marker).hasCredentials(), 'kept for this tab (sessionStorage)')
})

test('421, a refused method and an unreachable daemon are errors with codes', async () => {
  script = { answer: () => ({ status: 421, body: '<p>hostname</p>' }) }
  const hostStates = []
  await assert.rejects(connectDaemon(marker, { onState: s => hostStates.push(s) }).list(), e => e.code === 'host_refused' && /rpc-host-whitelist/.test(e.message))
  assert.deepEqual(hostStates, ['host'])
  script = { answer: withSession('s', () => ({ body: JSON.stringify({ result: 'priority-high: per-file priority is not supported by Braid', arguments: {} }) })) }
  await assert.rejects(connectDaemon(marker).setPriority('ab'.repeat(20), [0], 'high'), e => e.code === 'rpc' && e.message === 'priority-high: per-file priority is not supported by Braid')
  assert.deepEqual(seen.at(-1).body, { method: 'torrent-set', arguments: { ids: ['ab'.repeat(20)], 'priority-high': [0] } })
  const states = []
  const saved = globalThis.location
  globalThis.location = new URL('http://127.0.0.1:1/') // nothing listens on port 1
  try {
    await assert.rejects(connectDaemon(marker, { onState: s => states.push(s) }).list(), e => e.code === 'daemon_unreachable' && /Cannot reach the Braid daemon/.test(e.message))
  } finally { globalThis.location = saved }
  assert.deepEqual(states, ['offline'])
})

test('the calls map onto the RPC methods and arguments', async () => {
  script = { answer: withSession('s', r => r.body.method === 'torrent-add' ? { args: { 'torrent-duplicate': { hashString: 'cd'.repeat(20), name: 'n', id: 3 } } } : { args: {} }) }
  const api = connectDaemon(marker)
  const ih = 'cd'.repeat(20)
  seen.length = 0
  assert.deepEqual(await api.download('magnet:?xt=urn:btih:' + ih), { infoHash: ih, name: 'n', duplicate: true })
  await api.download(new Uint8Array([100, 101]))
  await api.stopAndSerialize(ih)
  await api.resume(ih)
  await api.remove(ih, { deleteData: true })
  await api.setWanted(ih, [1, 2], false)
  await api.setTorrentLimits(ih, { down: 500, up: null })
  await api.queueMove(ih, 'top')
  await api.setLocation(ih, '/srv/x', true)
  await api.setSessionLimits({ down: 100, up: null })
  const ids = [ih]
  assert.deepEqual(seen.filter(r => r.sid === 's').map(r => r.body), [
    { method: 'torrent-add', arguments: { filename: 'magnet:?xt=urn:btih:' + ih } },
    { method: 'torrent-add', arguments: { metainfo: 'ZGU=' } },
    { method: 'torrent-stop', arguments: { ids } },
    { method: 'torrent-start', arguments: { ids } },
    { method: 'torrent-remove', arguments: { ids, 'delete-local-data': true } },
    { method: 'torrent-set', arguments: { ids, 'files-unwanted': [1, 2] } },
    { method: 'torrent-set', arguments: { ids, downloadLimited: true, downloadLimit: 500, uploadLimited: false } },
    { method: 'queue-move-top', arguments: { ids } },
    { method: 'torrent-set-location', arguments: { ids, location: '/srv/x', move: true } },
    { method: 'session-set', arguments: { 'speed-limit-down-enabled': true, 'speed-limit-up-enabled': false, 'speed-limit-down': 100 } }
  ])
})

test("Transmission's torrent fields become the page's stats and files", async () => {
  const t = {
    id: 1, hashString: 'ef'.repeat(20), name: 'x', status: 4, error: 0, errorString: '', percentDone: 0.5, sizeWhenDone: 1000,
    leftUntilDone: 500, totalSize: 1200, rateDownload: 2000, rateUpload: 10, peersConnected: 3, peersSendingToUs: 1, eta: 7,
    metadataPercentComplete: 1, queuePosition: 2, downloadDir: '/d', isFinished: false, downloadLimited: true, downloadLimit: 50, uploadLimited: false, uploadLimit: 9
  }
  const st = statsOf(t)
  assert.equal(st.state, 'downloading')
  assert.equal(st.info_hash, t.hashString)
  assert.deepEqual(st.speed, { download: 2000, upload: 10 })
  assert.equal(st.bytes_size, 1000)
  assert.equal(st.left, 500)
  assert.equal(st.queue_position, 2)
  assert.deepEqual(st.limits, { down: 50, up: null })
  assert.equal(statsOf({ ...t, status: 4, metadataPercentComplete: 0 }).state, 'metadata')
  assert.equal(statsOf({ ...t, status: 0 }).state, 'stopped')
  assert.equal(statsOf({ ...t, status: 0, isFinished: true }).state, 'stopped', 'a seed limit stopped it: Resume starts it again')
  assert.equal(statsOf({ ...t, status: 0, error: 3, errorString: 'disk full' }).state, 'stopped')
  assert.equal(statsOf({ ...t, status: 0, error: 3, errorString: 'disk full' }).error, 'disk full')
  assert.equal(statsOf({ ...t, status: 3 }).state, 'queued')
  assert.equal(statsOf({ ...t, status: 6 }).state, 'seeding')
  assert.equal(statsOf({ ...t, eta: -2 }).eta, -1)

  script = {
    answer: withSession('s', () => ({
      args: {
        torrents: [{
          files: [{ name: 'x/a', length: 10, bytesCompleted: 10 }, { name: 'x/b', length: 0, bytesCompleted: 0 }, { name: 'x/c', length: 4, bytesCompleted: 1 }],
          fileStats: [{ wanted: true, priority: 1 }, { wanted: false, priority: 0 }, { wanted: true, priority: -1 }]
        }]
      }
    }))
  }
  const files = await connectDaemon(marker).listFiles(t.hashString)
  assert.deepEqual(files.map(f => [f.index, f.path, f.progress, f.complete, f.wanted, f.priority]),
    [[0, 'x/a', 1, true, true, 'high'], [1, 'x/b', 1, true, false, 'normal'], [2, 'x/c', 0.25, false, true, 'low']])
  script = { answer: withSession('s', () => ({ args: { torrents: [] } })) }
  await assert.rejects(connectDaemon(marker).listFiles(t.hashString), e => e.code === 'torrent_not_found')
})
