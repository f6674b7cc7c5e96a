// Braid's browser UI: one row per torrent, refreshed from api.list() every
// 500 ms. No framework: rows are built once from a <template> and then only
// their text and widths change, so buttons stay put while stats tick.
import { loadBraid, mark } from './braid.js'
import { daemonBackend } from './daemon-ui.js'
import { detectDaemon } from './rpc-backend.js'
import { reachNote } from './reach.js'
import { saveFile as saveToDisk } from './save.js'
import { showSecureContextNote } from './secure.js'
import { savedSettings, wireSettings } from './settings.js'

const POLL_MS = 500
const PAUSED_KEY = 'braid.paused' // infoHash -> {name, size}: torrents the user paused
const SOURCES_KEY = 'braid.sources' // infoHash -> {magnet} | {torrent: base64}: how to resume
const THEME_KEY = 'braid.theme'
const MEDIA = {
  mp4: 'video', m4v: 'video', webm: 'video', mkv: 'video', mov: 'video', ogv: 'video',
  mp3: 'audio', m4a: 'audio', aac: 'audio', ogg: 'audio', oga: 'audio', opus: 'audio', wav: 'audio', flac: 'audio'
}

const $ = sel => document.querySelector(sel)
const rows = new Map() // infoHash -> row view
let api = null
// The page drives the engine in this tab, or a `braid daemon` over its RPC
// (api.remote): then the daemon keeps paused state and sources, and
// extras (daemon-ui.js) adds what only a daemon does.
let extras = null
const local = () => !api.remote

// ---------- formatting ----------

export function fmtBytes (n) {
  if (!Number.isFinite(n) || n < 0) return '—'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++ }
  return (i === 0 ? n.toFixed(0) : n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)) + ' ' + units[i]
}

export function fmtEta (s) {
  if (!Number.isFinite(s) || s < 0) return '—'
  s = Math.round(s)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`
  if (s < 86400) return `${Math.floor(s / 3600)}h ${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`
  return `${Math.floor(s / 86400)}d ${Math.floor(s / 3600) % 24}h`
}

function fmtPct (p) {
  p = Math.max(0, Math.min(1, Number(p) || 0))
  return (p >= 1 ? '100' : (Math.floor(p * 1000) / 10).toFixed(1)) + '%'
}

const ERROR_TEXT = {
  quota_exceeded: 'Out of storage: the browser refused to store more data (quota exceeded). Remove torrents or free some space.',
  invalid_torrent: 'That is not a valid .torrent file',
  invalid_magnet: 'That magnet link is not valid',
  torrent_not_found: 'That torrent is no longer in Braid',
  closed: 'Braid has stopped; reload the page to start it again'
}

function errorLine (err, what) {
  const code = err && err.code
  const detail = (err && err.message) || String(err)
  const base = ERROR_TEXT[code]
  const text = base ? (code === 'invalid_torrent' || code === 'invalid_magnet' ? `${base}: ${detail}` : base) : detail
  return what ? `${what}: ${text}` : text
}

// ---------- error line and notices ----------

function showError (err, what) {
  $('#error-text').textContent = errorLine(err, what)
  $('#error').hidden = false
  $('#error').dataset.code = (err && err.code) || 'internal'
}

function clearError () { $('#error').hidden = true }

function showNotice (nodes) {
  const n = $('#notice')
  n.replaceChildren(...nodes)
  n.hidden = false
}

// ---------- small persistent maps (localStorage) ----------

function readMap (key) {
  try { return JSON.parse(localStorage.getItem(key) || '{}') || {} } catch { return {} }
}

function writeMap (key, m) {
  try { localStorage.setItem(key, JSON.stringify(m)) } catch { /* full or disabled: pause still works this session */ }
}

function updateMap (key, fn) { const m = readMap(key); fn(m); writeMap(key, m) }

function toBase64 (bytes) {
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

function fromBase64 (b64) {
  const s = atob(b64)
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}

function rememberSource (infoHash, src) {
  updateMap(SOURCES_KEY, m => {
    m[infoHash] = typeof src === 'string' ? { magnet: src } : { torrent: toBase64(src) }
  })
}

function sourceFor (infoHash, name) {
  const s = readMap(SOURCES_KEY)[infoHash]
  if (s && s.torrent) return fromBase64(s.torrent)
  if (s && s.magnet) return s.magnet
  // Braid keeps the info dictionary in its resume record, so a bare magnet resumes.
  return `magnet:?xt=urn:btih:${infoHash}` + (name ? `&dn=${encodeURIComponent(name)}` : '')
}

// ---------- adding torrents ----------

async function addTorrent (src, label) {
  clearError()
  try {
    let bytes = src
    if (typeof src !== 'string') {
      bytes = new Uint8Array(await (src.arrayBuffer ? src.arrayBuffer() : src))
    }
    const r = await api.download(bytes)
    if (local()) {
      rememberSource(r.infoHash, bytes)
      updateMap(PAUSED_KEY, m => { delete m[r.infoHash] })
    }
    await refresh()
    return r
  } catch (err) {
    showError(err, label)
    return null
  }
}

async function seedFiles (files) {
  clearError()
  try {
    // The server's trackers (braid web's config.json) if any, else Braid's
    // public trackers (the settings' list).
    const opts = config.trackers?.length ? { trackers: config.trackers } : {}
    const protocol = $('#seed-protocol')?.value
    if (protocol && protocol !== 'v1') opts.protocol = protocol // v1 is seed()'s default
    const r = await api.seed([...files], opts)
    rememberSource(r.infoHash, r.torrent)
    const a = document.createElement('a')
    a.href = URL.createObjectURL(new Blob([r.torrent], { type: 'application/x-bittorrent' }))
    a.download = `${r.name}.torrent`
    a.textContent = 'Save the .torrent'
    const kind = r.protocol && r.protocol !== 'v1' ? ` (${r.protocol})` : ''
    showNotice([document.createTextNode(`Seeding “${r.name}”${kind} from this tab. Share it: `), a])
    await refresh()
  } catch (err) {
    showError(err, 'Create & seed')
  }
}

function wireAddControls () {
  const input = $('#torrent-input')
  input.addEventListener('change', async () => {
    const files = [...input.files]
    input.value = ''
    for (const f of files) await addTorrent(f, f.name)
  })
  const drop = $('#drop')
  drop.addEventListener('keydown', e => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); input.click() } })
  // The whole window accepts drops; the drop zone lights up.
  let depth = 0
  window.addEventListener('dragenter', e => { e.preventDefault(); depth++; drop.classList.add('over') })
  window.addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; drop.classList.remove('over') } })
  window.addEventListener('dragover', e => e.preventDefault())
  window.addEventListener('drop', async e => {
    e.preventDefault()
    depth = 0
    drop.classList.remove('over')
    const files = [...(e.dataTransfer?.files || [])]
    if (files.length) {
      for (const f of files) await addTorrent(f, f.name)
      return
    }
    const text = (e.dataTransfer?.getData('text/plain') || '').trim()
    if (text.startsWith('magnet:')) await addTorrent(text, 'Magnet')
  })
  $('#magnet-form').addEventListener('submit', async e => {
    e.preventDefault()
    const m = $('#magnet-input').value.trim()
    if (!m) return
    if (await addTorrent(m, 'Magnet')) $('#magnet-input').value = ''
  })
  const seedInput = $('#seed-input')
  $('#seed-button').addEventListener('click', () => seedInput.click())
  seedInput.addEventListener('change', async () => {
    const files = [...seedInput.files]
    seedInput.value = ''
    if (files.length) await seedFiles(files)
  })
  $('#error-close').addEventListener('click', clearError)
}

// ---------- rows ----------

function createRow (infoHash) {
  const li = $('#row-template').content.firstElementChild.cloneNode(true)
  li.dataset.infohash = infoHash
  const q = s => li.querySelector(s)
  const view = {
    infoHash,
    li,
    name: q('.name'),
    state: q('.state'),
    fill: q('.row > .main .fill'),
    pct: q('.pct'),
    size: q('.size'),
    speed: q('.speed'),
    peers: q('.peers'),
    eta: q('.eta'),
    error: q('.row-error'),
    note: q('.row-note'),
    pause: q('.pause'),
    remove: q('.remove'),
    expand: q('.expand'),
    files: q('.files'),
    tbody: q('.files tbody'),
    player: q('.player'),
    fileRows: new Map(),
    stats: null,
    paused: false,
    busy: false
  }
  view.expand.addEventListener('click', () => toggleFiles(view))
  q('.name').addEventListener('click', () => toggleFiles(view))
  view.pause.addEventListener('click', () => togglePause(view))
  view.remove.addEventListener('click', () => confirmRemove(view))
  if (extras) extras.decorateRow(view)
  $('#torrents').appendChild(li)
  rows.set(infoHash, view)
  return view
}

function stateLabel (s, paused) {
  if (paused) return 'paused'
  return s || 'unknown'
}

// setText and setProgress touch the DOM only on a change: rows refresh twice
// a second, and every write makes the browser lay the page out again.
function setText (el, text) {
  if (el.textContent !== text) el.textContent = text
}

function setProgress (fill, p) {
  const v = `scaleX(${p.toFixed(4)})`
  if (fill.style.transform !== v) fill.style.transform = v
}

function renderRow (view, st) {
  view.stats = st
  const state = view.paused ? 'paused' : st.state
  view.li.dataset.state = state
  setText(view.name, st.name || view.infoHash)
  view.name.title = `${st.name || ''}\n${view.infoHash}`
  setText(view.state, state === 'metadata' ? 'fetching metadata' : stateLabel(st.state, view.paused))
  const p = Math.max(0, Math.min(1, Number(st.progress) || 0))
  setProgress(view.fill, p)
  setText(view.pct, fmtPct(p))
  view.li.dataset.progress = String(p)
  const total = Number(st.bytes_size) || 0
  const done = total ? total - (Number(st.left) || 0) : 0
  setText(view.size, total ? `${fmtBytes(done)} of ${fmtBytes(total)}` : '')
  const sp = st.speed || {}
  setText(view.speed, view.paused ? '' : `↓ ${fmtBytes(sp.download || 0)}/s  ↑ ${fmtBytes(sp.upload || 0)}/s`)
  const byT = st.peers_by_transport || {}
  const parts = Object.entries(byT).filter(([, n]) => n > 0).map(([t, n]) => `${t} ${n}`)
  const peers = Number(st.peers) || 0
  setText(view.peers, view.paused ? ''
    : `${peers} peer${peers === 1 ? '' : 's'}` + (parts.length ? ` (${parts.join(' · ')})` : '') +
      (st.seeds ? `, ${st.seeds} seed${st.seeds === 1 ? '' : 's'}` : ''))
  setText(view.eta, view.paused || st.state !== 'downloading' ? ''
    : (st.eta >= 0 ? `${fmtEta(st.eta)} left` : 'ETA —'))
  setText(view.error, st.error ? String(st.error) : '')
  // A daemon reaches peers over TCP, uTP and the DHT, not through the tab.
  const note = local() ? reachNote(view, st, Date.now(), config.unreachableMs) : ''
  setText(view.note, note)
  view.note.hidden = !note
  if (!view.busy) {
    setText(view.pause, view.paused ? 'Resume' : 'Pause')
    view.pause.disabled = false
  }
  if (extras) extras.renderRow(view, st)
}

async function togglePause (view) {
  if (view.busy) return
  view.busy = true
  view.pause.disabled = true
  clearError()
  try {
    if (view.paused) {
      view.pause.textContent = 'Resuming…'
      await resumeTorrent(view.infoHash, view.stats?.name)
      view.paused = false
      if (local()) updateMap(PAUSED_KEY, m => { delete m[view.infoHash] })
    } else {
      view.pause.textContent = 'Pausing…'
      await api.stopAndSerialize(view.infoHash)
      view.paused = true
      const st = view.stats || {}
      if (local()) updateMap(PAUSED_KEY, m => { m[view.infoHash] = { name: st.name || '', size: st.bytes_size || 0, progress: st.progress || 0 } })
    }
  } catch (err) {
    showError(err, view.stats?.name || view.infoHash)
  } finally {
    view.busy = false
    await refresh()
  }
}

// Braid resumes a paused torrent from its resume record; without one (or
// with an older API) the torrent is added again from its source.
async function resumeTorrent (infoHash, name) {
  if (typeof api.resume === 'function') {
    try {
      await api.resume(infoHash)
      return
    } catch (err) {
      if (!err || err.code !== 'torrent_not_found' || !local()) throw err
    }
  }
  await api.download(sourceFor(infoHash, name))
}

function confirmRemove (view) {
  const dlg = $('#remove-dialog')
  $('#remove-name').textContent = view.stats?.name || view.infoHash
  $('#remove-delete').checked = false
  dlg.onclose = async () => {
    if (dlg.returnValue !== 'remove') return
    const deleteData = $('#remove-delete').checked
    try {
      try {
        await api.remove(view.infoHash, { deleteData })
      } catch (err) {
        // A paused torrent is not in the engine: start it from its record so
        // that remove drops the record (and the data when asked).
        if (!(err && err.code === 'torrent_not_found' && view.paused && local())) throw err
        await resumeTorrent(view.infoHash, view.stats?.name)
        await api.remove(view.infoHash, { deleteData })
      }
    } catch (err) {
      showError(err, view.stats?.name || view.infoHash)
      return
    }
    if (local()) {
      updateMap(PAUSED_KEY, m => { delete m[view.infoHash] })
      updateMap(SOURCES_KEY, m => { delete m[view.infoHash] })
    }
    dropRow(view.infoHash)
  }
  dlg.returnValue = ''
  dlg.showModal()
}

function dropRow (infoHash) {
  const v = rows.get(infoHash)
  if (!v) return
  stopPlayer(v)
  v.li.remove()
  rows.delete(infoHash)
  $('#empty').hidden = rows.size > 0
}

// ---------- files ----------

async function toggleFiles (view) {
  const open = view.files.hidden
  view.files.hidden = !open
  view.expand.setAttribute('aria-expanded', String(open))
  view.li.classList.toggle('open', open)
  if (open) await refreshFiles(view)
  else stopPlayer(view)
}

function mediaKind (path) {
  const ext = (path.split('.').pop() || '').toLowerCase()
  return MEDIA[ext] || null
}

function baseName (path) { return path.split('/').pop() || path }

async function refreshFiles (view) {
  if (view.files.hidden) return
  let files
  try {
    files = await api.listFiles(view.infoHash)
  } catch (err) {
    if (!view.paused) showError(err, 'Files')
    return
  }
  for (const f of files) {
    let fr = view.fileRows.get(f.index)
    if (!fr) fr = createFileRow(view, f)
    const p = Math.max(0, Math.min(1, Number(f.progress) || 0))
    const done = f.complete === true || p >= 1 || f.length === 0
    setProgress(fr.fill, p)
    fr.pct.textContent = fmtPct(done ? 1 : p)
    fr.tr.classList.toggle('file-done', done)
    fr.tr.dataset.progress = String(done ? 1 : p)
    if (fr.save) fr.save.disabled = !done || fr.save.dataset.saving === '1'
    if (fr.play) fr.play.disabled = !(done || canStream())
    if (extras) extras.renderFile(view, fr, f)
  }
}

function createFileRow (view, f) {
  const tr = document.createElement('tr')
  tr.dataset.index = String(f.index)
  tr.innerHTML = '<td class="path"></td><td class="len"></td><td class="prog"><div class="bar"><div class="fill"></div></div><span></span></td><td class="act"></td>'
  tr.querySelector('.path').textContent = f.path
  tr.querySelector('.len').textContent = fmtBytes(f.length)
  const act = tr.querySelector('.act')
  const fr = { tr, fill: tr.querySelector('.fill'), pct: tr.querySelector('.prog span'), save: null, play: null }
  view.tbody.appendChild(tr)
  view.fileRows.set(f.index, fr)
  // A daemon's files are on its machine: a choice and a priority instead
  // of Save and Play.
  if (extras) {
    extras.decorateFile(view, fr, f)
    return fr
  }
  const kind = mediaKind(f.path)
  if (kind) {
    fr.play = document.createElement('button')
    fr.play.type = 'button'
    fr.play.className = 'play secondary'
    fr.play.textContent = kind === 'video' ? 'Play' : 'Listen'
    fr.play.title = 'Stream while it downloads'
    fr.play.addEventListener('click', () => play(view, f, kind))
    act.appendChild(fr.play)
  }
  fr.save = document.createElement('button')
  fr.save.type = 'button'
  fr.save.className = 'save'
  fr.save.textContent = 'Save'
  fr.save.addEventListener('click', () => saveFile(view, f, fr.save))
  act.appendChild(fr.save)
  return fr
}

async function saveFile (view, f, button) {
  button.disabled = true
  button.dataset.saving = '1'
  try {
    // Streamed to disk (file picker or the service worker), never whole
    // in memory where the browser allows it: see save.js.
    await saveToDisk(api, view.infoHash, f, baseName(f.path))
  } catch (err) {
    showError(err, `Save ${baseName(f.path)}`)
  } finally {
    delete button.dataset.saving
    button.disabled = false
  }
}

// ---------- streaming through the service worker ----------

function canStream () {
  return 'serviceWorker' in navigator && !!navigator.serviceWorker.controller
}

function stopPlayer (view) {
  const el = view.player.querySelector('video,audio')
  if (el) { el.pause(); el.removeAttribute('src'); el.load() }
  view.player.replaceChildren()
  view.player.hidden = true
}

async function play (view, f, kind) {
  stopPlayer(view)
  let src
  if (canStream()) {
    src = `stream/${view.infoHash}/${f.index}/${encodeURIComponent(baseName(f.path))}`
  } else {
    try {
      src = URL.createObjectURL(await api.fileBlob(view.infoHash, f.index))
    } catch (err) {
      showError(err, 'Play (streaming needs a service worker; the file is not complete yet)')
      return
    }
  }
  const el = document.createElement(kind)
  el.controls = true
  el.autoplay = true
  el.src = src
  el.addEventListener('error', () => showError({ message: `cannot play ${baseName(f.path)} (${el.error?.message || 'unsupported format'})` }, 'Play'))
  const title = document.createElement('div')
  title.className = 'hint'
  title.textContent = `Playing ${f.path}`
  view.player.replaceChildren(title, el)
  view.player.hidden = false
  // play() starts as soon as a little is buffered; autoplay alone waits for
  // the browser to expect no stall, which a slow swarm may never promise.
  el.play().catch(() => { /* blocked or interrupted: the controls remain */ })
}

// The service worker turns Range requests for stream/<hash>/<index>/<name>
// into api.read calls answered here: the page forwards them to the engine
// (its Worker, or the wasm in the page when there is none).
function wireServiceWorker () {
  if (!('serviceWorker' in navigator)) return
  navigator.serviceWorker.addEventListener('message', async e => {
    const m = e.data || {}
    const port = e.ports && e.ports[0]
    if (!port || (m.type !== 'braid-file' && m.type !== 'braid-read')) return
    try {
      if (m.type === 'braid-file') {
        const f = (await api.listFiles(m.infoHash)).find(x => x.index === m.index)
        if (!f) throw Object.assign(new Error(`no file ${m.index}`), { code: 'torrent_not_found' })
        port.postMessage({ ok: true, length: f.length, path: f.path })
      } else {
        const data = await api.read(m.infoHash, m.index, m.offset, m.length)
        port.postMessage({ ok: true, data })
      }
    } catch (err) {
      port.postMessage({ ok: false, code: (err && err.code) || 'internal', message: String((err && err.message) || err) })
    }
  })
  navigator.serviceWorker.register('sw.js').catch(err => console.warn('braid: service worker not registered:', err))
}

// ---------- polling ----------

let refreshing = null

function refresh () {
  // One refresh at a time; callers that arrive meanwhile share it.
  if (!refreshing) refreshing = doRefresh().finally(() => { refreshing = null })
  return refreshing
}

async function doRefresh () {
  let list
  try {
    list = await api.list()
  } catch (err) {
    showError(err, 'Stats')
    return
  }
  const paused = local() ? readMap(PAUSED_KEY) : {}
  const seen = new Set()
  for (const st of list) {
    const ih = st.info_hash
    if (!ih) continue
    seen.add(ih)
    const v = rows.get(ih) || createRow(ih)
    v.paused = st.state === 'stopped'
    if (paused[ih] && !v.paused && !v.busy) updateMap(PAUSED_KEY, m => { delete m[ih] })
    renderRow(v, st)
  }
  for (const [ih, p] of Object.entries(paused)) {
    if (seen.has(ih)) continue
    seen.add(ih)
    const v = rows.get(ih) || createRow(ih)
    v.paused = true
    const size = Number(p.size) || 0
    renderRow(v, { info_hash: ih, name: p.name, state: 'stopped', progress: p.progress || 0, bytes_size: size, left: size - size * (p.progress || 0) })
  }
  for (const ih of [...rows.keys()]) {
    if (!seen.has(ih) && !rows.get(ih).busy) dropRow(ih)
  }
  $('#empty').hidden = rows.size > 0
  if (extras) extras.afterRefresh(rows)
  await Promise.all([...rows.values()].map(refreshFiles))
}

// On load the page restarts every torrent that has a resume record in
// IndexedDB except those the user paused, which stay paused (start() is told
// restore: false for that). An API without saved() restores by itself; then
// paused torrents are stopped again.
async function restore () {
  const paused = readMap(PAUSED_KEY)
  if (typeof api.saved !== 'function') {
    let list = []
    try { list = await api.list() } catch { return }
    for (const st of list) {
      if (paused[st.info_hash] && st.state !== 'stopped') {
        try { await api.stopAndSerialize(st.info_hash) } catch { /* shown by the next refresh */ }
      }
    }
    return
  }
  let saved
  try { saved = await api.saved() } catch (err) { showError(err, 'Restoring torrents'); return }
  const known = new Set()
  for (const s of saved) {
    known.add(s.info_hash)
    if (s.active) continue
    if (paused[s.info_hash]) {
      if (!paused[s.info_hash].name) updateMap(PAUSED_KEY, m => { m[s.info_hash].name = s.name })
      continue
    }
    try { await api.resume(s.info_hash) } catch (err) { showError(err, `Restoring ${s.name}`) }
  }
  // Paused entries whose record is gone were removed elsewhere.
  updateMap(PAUSED_KEY, m => { for (const ih of Object.keys(m)) if (!known.has(ih)) delete m[ih] })
}

// ---------- start ----------

function configFromPage () {
  const q = new URLSearchParams(location.search)
  // restore: false: the page restarts saved torrents itself (see restore).
  // The user's settings win over an embedder's BRAID_CONFIG; URL
  // parameters over both.
  const c = { restore: false, ...(globalThis.BRAID_CONFIG || {}), ...savedSettings() }
  const trackers = q.getAll('tracker')
  if (trackers.length) c.trackers = trackers
  const ice = q.getAll('ice')
  if (ice.length) c.iceServers = ice.filter(u => u !== 'none')
  if (q.get('db')) c.dbName = q.get('db')
  return c
}

// Torrents the server asks the page to add (braid demo): fetched .torrent
// files, with ws:// peers to dial. Paused ones are left alone.
async function addFromServer () {
  const paused = readMap(PAUSED_KEY)
  for (const a of serverAdds) {
    try {
      const res = await fetch(a.torrent, { cache: 'no-store' })
      if (!res.ok) throw new Error(`fetch ${a.torrent}: HTTP ${res.status}`)
      const bytes = new Uint8Array(await res.arrayBuffer())
      const opts = Array.isArray(a.peers) && a.peers.length ? { peers: a.peers } : undefined
      const known = (await api.list()).map(s => s.info_hash)
      const r = await api.download(bytes, opts)
      if (paused[r.infoHash] && !known.includes(r.infoHash)) {
        await api.stopAndSerialize(r.infoHash)
        continue
      }
      rememberSource(r.infoHash, bytes)
    } catch (err) {
      showError(err, `Adding ${a.torrent}`)
    }
  }
}

function wireTheme () {
  const saved = localStorage.getItem(THEME_KEY)
  if (saved) document.documentElement.dataset.theme = saved
  $('#theme').addEventListener('click', () => {
    const dark = document.documentElement.dataset.theme
      ? document.documentElement.dataset.theme === 'dark'
      : matchMedia('(prefers-color-scheme: dark)').matches
    const next = dark ? 'light' : 'dark'
    document.documentElement.dataset.theme = next
    localStorage.setItem(THEME_KEY, next)
  })
}

let config = configFromPage()
let serverAdds = [] // config.json "add": [{torrent: path, peers: [ws://...]}]

// `braid web` serves config.json (trackers to join); the URL's own
// parameters win over it.
async function loadServerConfig () {
  try {
    const ctl = new AbortController()
    const timer = setTimeout(() => ctl.abort(), 3000)
    const res = await fetch('config.json', { signal: ctl.signal, cache: 'no-store' }).finally(() => clearTimeout(timer))
    if (!res.ok) return
    const c = await res.json()
    const own = configFromPage()
    if (Array.isArray(c.trackers) && c.trackers.length && !own.trackers) own.trackers = c.trackers
    if (Array.isArray(c.iceServers) && c.iceServers.length && !own.iceServers) own.iceServers = c.iceServers
    if (Array.isArray(c.add)) serverAdds = c.add.filter(a => a && typeof a.torrent === 'string')
    config = own
  } catch { /* served without config.json */ }
}

async function main () {
  mark('page-main')
  wireTheme()
  showSecureContextNote()
  const status = $('#status')
  try {
    // Tests may hand in an API object before the page loads.
    const daemon = globalThis.__braidApi ? null : await detectDaemon()
    mark('daemon-checked')
    if (globalThis.__braidApi) {
      api = globalThis.__braidApi
      await api.start(config)
    } else if (daemon) {
      ({ api, extras } = daemonBackend(daemon, { showError, clearError, refresh }))
    } else {
      await loadServerConfig()
      mark('config-loaded')
      api = await loadBraid(config)
    }
  } catch (err) {
    status.textContent = 'failed to start'
    status.dataset.state = 'failed'
    showError(err, 'Starting Braid')
    return
  }
  globalThis.braid = api
  try {
    const v = await api.version()
    $('#version').textContent = 'v' + String((v && (v.release || v.version)) || v).replace(/^v/, '')
    if (v && v.version) $('#version').title = `Braid ${v.release || ''} (peer id ${v.version})`
  } catch { /* cosmetic; a daemon's sign-in is asked for by daemon-ui.js */ }
  wireAddControls()
  if (local()) {
    status.textContent = 'ready'
    status.dataset.state = 'ready'
    wireServiceWorker()
    try { wireSettings(config, api.defaults ? await api.defaults() : {}) } catch (err) { showError(err, 'Settings') }
    mark('restore')
    await restore()
    mark('restored')
    await addFromServer()
  }
  await refresh()
  setInterval(refresh, POLL_MS)
  document.documentElement.dataset.ready = 'true'
  mark('ready')
}

main()
