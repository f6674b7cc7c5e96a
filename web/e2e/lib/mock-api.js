// A stand-in for the wasm API, injected into the page before app.js runs
// (globalThis.__braidApi) so the UI can be tested on its own. A ".torrent"
// here is JSON: {"name": "...", "files": [{"path": "...", "length": n}]}.
// Torrents progress with time; file byte i of file k is (i * 31 + k) & 255.
(() => {
  const MIB = 1 << 20
  const torrents = new Map() // infoHash -> torrent
  const saved = new Map() // paused: infoHash -> torrent
  const calls = []
  // Resume records survive a reload (localStorage stands in for IndexedDB).
  const RECORDS = '__mockRecords'
  const persist = () => {
    const recs = {}
    for (const t of [...torrents.values(), ...saved.values()]) recs[t.infoHash] = { infoHash: t.infoHash, name: t.name, files: t.files, done: t.done, size: t.size }
    try { localStorage.setItem(RECORDS, JSON.stringify(recs)) } catch { /* about:blank */ }
  }
  try {
    for (const r of Object.values(JSON.parse(localStorage.getItem(RECORDS) || '{}'))) saved.set(r.infoHash, { ...r, state: 'stopped' })
  } catch { /* about:blank has no storage */ }
  const err = (code, message) => Object.assign(new Error(message), { code })
  const hashOf = s => {
    let h = 0x811c9dc5
    let out = ''
    for (let r = 0; r < 5; r++) {
      for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i) ^ r, 16777619) >>> 0
      out += h.toString(16).padStart(8, '0')
    }
    return out
  }
  const byte = (i, k) => (i * 31 + k) & 255
  const fileBytes = (k, off, len) => { const b = new Uint8Array(len); for (let i = 0; i < len; i++) b[i] = byte(off + i, k); return b }
  const rate = () => (globalThis.__mockRate || 8 * MIB) // bytes per second per torrent

  function advance (t) {
    const now = performance.now()
    if (t.state === 'downloading') {
      t.done = Math.min(t.size, t.done + (now - t.last) / 1000 * rate())
      if (t.done >= t.size) t.state = 'seeding'
    }
    t.last = now
  }
  function statsOf (t) {
    advance(t)
    const left = t.size - Math.floor(t.done)
    const dl = t.state === 'downloading' ? rate() : 0
    return {
      info_hash: t.infoHash, name: t.name, speed: { download: dl, upload: t.state === 'seeding' ? 1234 : 0 },
      downloaded: Math.floor(t.done), bytes_size: t.size, left, uploaded: 0, fetched: Math.floor(t.done), wasted: 0,
      hash_fails: 0, progress: t.size ? Math.floor(t.done) / t.size : 1, state: t.state, error: t.error || '',
      peers: 2, seeds: 1, peers_by_transport: { webrtc: 1, websocket: 1 },
      pieces: { have: Math.floor(t.done / 16384), total: Math.ceil(t.size / 16384) },
      eta: dl ? Math.ceil(left / dl) : -1, verified_on_start: 0
    }
  }
  function parse (src) {
    if (typeof src === 'string') {
      const m = /^magnet:\?xt=urn:btih:([0-9a-f]{40})/i.exec(src)
      if (!m) throw err('invalid_magnet', 'no btih in magnet')
      const ih = m[1].toLowerCase()
      if (saved.has(ih)) return saved.get(ih)
      return { infoHash: ih, name: 'magnet-' + ih.slice(0, 6), files: [{ path: 'file.bin', length: 3 * MIB }] }
    }
    let meta
    try { meta = JSON.parse(new TextDecoder().decode(src)) } catch { throw err('invalid_torrent', 'bencode: syntax error at offset 0') }
    if (meta.name === 'quota') throw err('quota_exceeded', 'IndexedDB: QuotaExceededError')
    return { infoHash: hashOf(JSON.stringify(meta)), name: meta.name, files: meta.files }
  }
  async function toBytes (src) {
    if (typeof src === 'string') return src
    if (src instanceof Uint8Array) return src
    if (src instanceof ArrayBuffer) return new Uint8Array(src)
    if (src && src.arrayBuffer) return new Uint8Array(await src.arrayBuffer())
    throw err('invalid_torrent', 'unsupported source')
  }
  function add (meta, state) {
    const size = meta.files.reduce((s, f) => s + f.length, 0)
    const old = saved.get(meta.infoHash)
    const t = { ...meta, size, done: old ? old.done : 0, state, last: performance.now() }
    if (t.done >= size) t.state = 'seeding'
    saved.delete(meta.infoHash)
    torrents.set(meta.infoHash, t)
    persist()
    return t
  }
  const need = ih => { const t = torrents.get(ih); if (!t) throw err('torrent_not_found', `torrent ${ih} not found`); return t }
  const api = {
    calls,
    async start (config) {
      calls.push(['start', config])
      if (config.restore !== false) for (const t of [...saved.values()]) add(t, 'downloading')
    },
    version () { return { version: '-BD0000', release: '0.0.0-mock' } },
    async download (src, opts) {
      calls.push(['download', typeof src === 'string' ? src : 'bytes', opts])
      const meta = parse(await toBytes(src))
      const t = torrents.get(meta.infoHash) || add(meta, 'downloading')
      return { infoHash: t.infoHash, name: t.name }
    },
    async seed (files, opts) {
      calls.push(['seed', files.length, opts])
      const list = files.map(f => ({ path: f.name, length: f.size ?? f.data.length }))
      const meta = { name: list.length === 1 ? list[0].path : 'seeded', files: list }
      const torrent = new TextEncoder().encode(JSON.stringify(meta))
      const t = add({ ...meta, infoHash: hashOf(JSON.stringify(meta)) }, 'seeding')
      t.done = t.size
      return { infoHash: t.infoHash, name: t.name, torrent, protocol: opts?.protocol || 'v1' }
    },
    async stats (ih) { return statsOf(need(ih)) },
    async get (ih) { return statsOf(need(ih)) },
    async list () { return [...torrents.values()].map(statsOf) },
    async listFiles (ih) {
      const t = need(ih)
      advance(t)
      let off = 0
      return t.files.map((f, index) => {
        const downloaded = Math.max(0, Math.min(f.length, Math.floor(t.done) - off))
        off += f.length
        return { index, path: t.name + '/' + f.path, name: f.path, length: f.length, downloaded, progress: f.length ? downloaded / f.length : 1, complete: downloaded === f.length }
      })
    },
    async saved () {
      return [...[...torrents.values()].map(t => ({ info_hash: t.infoHash, name: t.name, active: true })),
        ...[...saved.values()].map(t => ({ info_hash: t.infoHash, name: t.name, active: false }))]
    },
    async resume (ih) {
      calls.push(['resume', ih])
      const t = saved.get(ih)
      if (!t) throw err('torrent_not_found', `no record for ${ih}`)
      add(t, 'downloading')
      return { infoHash: ih, name: t.name }
    },
    async remove (ih, opts) { calls.push(['remove', ih, opts]); need(ih); torrents.delete(ih); persist() },
    async stopAndSerialize (ih) { calls.push(['stopAndSerialize', ih]); const t = need(ih); advance(t); torrents.delete(ih); saved.set(ih, t); persist() },
    async stopAllAndSerialize () { for (const ih of [...torrents.keys()]) await api.stopAndSerialize(ih) },
    async fileBlob (ih, index) {
      const files = await api.listFiles(ih)
      const f = files[index]
      if (!f) throw err('torrent_not_found', 'no such file')
      if (!f.complete) throw err('bad_argument', 'file not complete')
      return new Blob([fileBytes(index, 0, f.length)])
    },
    async read (ih, index, offset, length) {
      const f = (await api.listFiles(ih))[index]
      if (!f) throw err('torrent_not_found', 'no such file')
      length = Math.max(0, Math.min(length, f.length - offset))
      return fileBytes(index, offset, length)
    }
  }
  globalThis.__braidApi = api
})()
