// Braid's service worker: serves stream/<infoHash>/<index>/<name> so a
// <video> or <audio> element can play a file while it downloads. Every read
// is a message to the page that runs Braid, which answers with api.read
// (forwarded to Braid's Worker; that call waits for the bytes and makes the
// engine fetch them first).

// Bytes per read round trip: small first, so a player gets the header (and
// the first frames) without waiting for a large read, then growing.
const FIRST_CHUNK = 64 << 10
const MAX_CHUNK = 256 << 10
const READ_AHEAD = 4 // reads in flight per response
const INFO_TIMEOUT_MS = 15000
const READ_TIMEOUT_MS = 180000
const TYPES = {
  mp4: 'video/mp4', m4v: 'video/mp4', webm: 'video/webm', mkv: 'video/x-matroska', mov: 'video/quicktime', ogv: 'video/ogg',
  mp3: 'audio/mpeg', m4a: 'audio/mp4', aac: 'audio/aac', ogg: 'audio/ogg', oga: 'audio/ogg', opus: 'audio/ogg',
  wav: 'audio/wav', flac: 'audio/flac'
}

self.addEventListener('install', () => self.skipWaiting())
self.addEventListener('activate', e => e.waitUntil(self.clients.claim()))

self.addEventListener('fetch', e => {
  const url = new URL(e.request.url)
  const prefix = new URL('stream/', self.registration.scope).pathname
  if (url.origin !== self.location.origin || !url.pathname.startsWith(prefix)) return
  const [infoHash, index, name = ''] = url.pathname.slice(prefix.length).split('/')
  const download = url.searchParams.get('download') === '1'
  e.respondWith(serve(e, infoHash, Number(index), decodeURIComponent(name), download).catch(err =>
    new Response(`braid: ${err.message || err}`, { status: err.status || 500, headers: { 'Content-Type': 'text/plain' } })))
})

function fail (status, message) { return Object.assign(new Error(message), { status }) }

// The page running Braid: the one that asked, else any window of ours.
async function braidClient (e) {
  if (e.clientId) {
    const c = await self.clients.get(e.clientId)
    if (c) return c
  }
  const all = await self.clients.matchAll({ type: 'window' })
  if (!all.length) throw fail(503, 'no Braid page is open')
  // A Save's download runs in a hidden frame of the page: ask the page.
  return all.find(c => c.frameType === 'top-level') || all[0]
}

function ask (client, msg, timeoutMs) {
  return new Promise((resolve, reject) => {
    const ch = new MessageChannel()
    const timer = setTimeout(() => reject(fail(504, `${msg.type} timed out`)), timeoutMs)
    ch.port1.onmessage = ev => {
      clearTimeout(timer)
      const r = ev.data || {}
      if (r.ok) resolve(r)
      else reject(fail(r.code === 'torrent_not_found' ? 404 : 500, `${r.code}: ${r.message}`))
    }
    client.postMessage(msg, [ch.port2])
  })
}

// "bytes=a-b", "bytes=a-" or "bytes=-n"; null when absent or unusable.
function parseRange (header, length) {
  const m = /^bytes=(\d*)-(\d*)$/.exec((header || '').trim())
  if (!m || (m[1] === '' && m[2] === '')) return null
  let start, end
  if (m[1] === '') {
    start = Math.max(0, length - Number(m[2]))
    end = length - 1
  } else {
    start = Number(m[1])
    end = m[2] === '' ? length - 1 : Math.min(Number(m[2]), length - 1)
  }
  if (start > end || start >= length) return { unsatisfiable: true }
  return { start, end }
}

// A Content-Disposition that saves as name (RFC 6266's filename*).
function attachment (name) {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

// download: Save (app.js save.js) asks for the whole file as an attachment,
// streamed, so the browser writes it to disk as it arrives.
async function serve (e, infoHash, index, name, download = false) {
  if (!/^[0-9a-fA-F]{40}$/.test(infoHash) || !Number.isInteger(index) || index < 0) throw fail(400, 'bad stream path')
  const client = await braidClient(e)
  const info = await ask(client, { type: 'braid-file', infoHash, index }, INFO_TIMEOUT_MS)
  const length = info.length
  const ext = (name || info.path || '').split('.').pop().toLowerCase()
  const headers = { 'Content-Type': TYPES[ext] || 'application/octet-stream', 'Accept-Ranges': 'bytes', 'Cache-Control': 'no-store' }
  if (download) {
    headers['Content-Type'] = 'application/octet-stream'
    headers['Content-Disposition'] = attachment(name || (info.path || 'file').split('/').pop())
  }
  let start = 0
  let end = length - 1
  let status = 200
  const range = parseRange(e.request.headers.get('Range'), length)
  if (range && range.unsatisfiable) {
    return new Response(null, { status: 416, headers: { ...headers, 'Content-Range': `bytes */${length}` } })
  }
  if (range) {
    ({ start, end } = range)
    status = 206
    headers['Content-Range'] = `bytes ${start}-${end}/${length}`
  }
  headers['Content-Length'] = String(end - start + 1)
  if (e.request.method === 'HEAD' || length === 0) return new Response(null, { status, headers })
  // Reads run a few chunks ahead of the player: each pending read makes the
  // engine fetch those pieces first, so the download follows the playhead.
  let next = start
  let chunk = FIRST_CHUNK
  const pending = []
  const fill = () => {
    while (pending.length < READ_AHEAD && next <= end) {
      const n = Math.min(chunk, end - next + 1)
      chunk = Math.min(MAX_CHUNK, chunk * 2)
      const p = ask(client, { type: 'braid-read', infoHash, index, offset: next, length: n }, READ_TIMEOUT_MS)
      p.catch(() => {}) // observed when its turn comes
      pending.push({ p, n })
      next += n
    }
  }
  const body = new ReadableStream({
    async pull (ctrl) {
      fill()
      const head = pending.shift()
      if (!head) { ctrl.close(); return }
      const r = await head.p
      const data = r.data instanceof Uint8Array ? r.data : new Uint8Array(r.data)
      if (data.length !== head.n) { ctrl.error(new Error(`braid: short read (${data.length} of ${head.n} bytes)`)); return }
      ctrl.enqueue(data)
      fill()
    },
    cancel () { pending.length = 0 }
  }, { highWaterMark: 1 })
  return new Response(body, { status, headers })
}
