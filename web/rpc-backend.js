// The page's second backend: a `braid daemon` driven over Transmission's
// RPC (POST /transmission/rpc), with the same calls app.js makes of the
// engine in the tab (list, download, stopAndSerialize, resume, remove,
// listFiles, version) plus what only a daemon does (file choice and
// priority, limits, queue order, location).
//
// The daemon answers GET braid/daemon.json (detectDaemon); `braid web`
// and plain static servers do not. Every request carries the session id
// (a 409 hands a new one: the request is sent again at once) and, once
// the user signed in, HTTP Basic credentials; a 401 is the error
// 'unauthorized', an unreachable daemon 'daemon_unreachable'. onState
// hears 'online', 'offline', 'auth', 'host' and 'session' as they change.

const CREDS_KEY = 'braid.daemon.auth' // sessionStorage: {user, pass} for this tab only
const TIMEOUT_MS = 30000
const MOVE_TIMEOUT_MS = 30 * 60000 // torrent-set-location with move copies the data first

// Fields of torrent-get for one row (the list is polled).
const LIST_FIELDS = ['id', 'hashString', 'name', 'status', 'error', 'errorString', 'percentDone', 'sizeWhenDone',
  'leftUntilDone', 'totalSize', 'rateDownload', 'rateUpload', 'peersConnected', 'peersSendingToUs', 'eta',
  'metadataPercentComplete', 'queuePosition', 'downloadDir', 'isFinished', 'uploadedEver', 'downloadedEver',
  'downloadLimit', 'downloadLimited', 'uploadLimit', 'uploadLimited']

const PRIORITY = { '-1': 'low', 0: 'normal', 1: 'high' }

/** An Error with a stable code, as the in-tab API's errors. */
export class DaemonError extends Error {
  constructor (code, message) {
    super(message)
    this.name = 'DaemonError'
    this.code = code
  }
}

/**
 * The daemon's marker ({braid: 'daemon', rpc, auth}) when the page was
 * served by `braid daemon`, else null (within timeoutMs).
 */
export async function detectDaemon ({ timeoutMs = 3000 } = {}) {
  const ctl = new AbortController()
  const timer = setTimeout(() => ctl.abort(), timeoutMs)
  try {
    const res = await fetch(new URL('braid/daemon.json', location.href), { cache: 'no-store', signal: ctl.signal })
    if (!res.ok || !(res.headers.get('content-type') || '').startsWith('application/json')) return null
    const m = await res.json()
    if (!m || m.braid !== 'daemon' || typeof m.rpc !== 'string') return null
    // The RPC the page drives is the one beside it, never another origin.
    if (!m.rpc.startsWith('/') || new URL(m.rpc, location.href).origin !== location.origin) return null
    return m
  } catch {
    return null
  } finally {
    clearTimeout(timer)
  }
}

function basic (user, pass) {
  const bytes = new TextEncoder().encode(`${user}:${pass}`)
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return 'Basic ' + btoa(s)
}

function toBase64 (bytes) {
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

function readCreds () {
  try {
    const c = JSON.parse(sessionStorage.getItem(CREDS_KEY) || 'null')
    return c && typeof c.user === 'string' && typeof c.pass === 'string' ? c : null
  } catch { return null }
}

// Transmission's status codes as the page's states.
function stateOf (t) {
  switch (t.status) {
    case 0: return 'stopped' // also when a seed limit or an error stopped it: Resume starts it
    case 1: case 2: return 'checking'
    case 3: case 5: return 'queued'
    case 4: return t.metadataPercentComplete < 1 ? 'metadata' : 'downloading'
    case 6: return 'seeding'
  }
  return 'unknown'
}

/** A torrent-get object as the stats the rows show (the in-tab API's names). */
export function statsOf (t) {
  const st = {
    info_hash: t.hashString,
    id: t.id,
    name: t.name,
    state: stateOf(t),
    progress: Number(t.percentDone) || 0,
    bytes_size: Number(t.sizeWhenDone) || 0,
    left: Number(t.leftUntilDone) || 0,
    total_size: Number(t.totalSize) || 0,
    speed: { download: Number(t.rateDownload) || 0, upload: Number(t.rateUpload) || 0 },
    peers: Number(t.peersConnected) || 0,
    seeds: Number(t.peersSendingToUs) || 0,
    eta: t.eta >= 0 ? t.eta : -1,
    error: t.error ? String(t.errorString || `error ${t.error}`) : '',
    uploaded: Number(t.uploadedEver) || 0,
    downloaded: Number(t.downloadedEver) || 0,
    queue_position: Number(t.queuePosition) || 0,
    download_dir: t.downloadDir || '',
    limits: {
      down: t.downloadLimited ? Number(t.downloadLimit) || 0 : null,
      up: t.uploadLimited ? Number(t.uploadLimit) || 0 : null
    }
  }
  return st
}

/**
 * The daemon's API for the page. marker: detectDaemon's answer. onState
 * (state, error) hears the connection's state when it changes.
 */
export function connectDaemon (marker, { onState = () => {} } = {}) {
  const rpcURL = new URL(marker.rpc, location.href).href
  let sessionId = ''
  let creds = readCreds()
  let state = ''
  const setState = (s, err) => {
    if (s === state) return
    state = s
    try { onState(s, err) } catch (e) { console.warn('braid: daemon state handler:', e) }
  }

  async function call (method, args = {}, { timeoutMs = TIMEOUT_MS } = {}) {
    const body = JSON.stringify({ method, arguments: args })
    // A 409 hands the current session id; a second one in a row means the
    // daemon restarted between the two requests: one more try.
    for (let attempt = 0; attempt < 3; attempt++) {
      const headers = { 'Content-Type': 'application/json', 'X-Braid-Client': 'web' }
      if (sessionId) headers['X-Transmission-Session-Id'] = sessionId
      if (creds) headers.Authorization = basic(creds.user, creds.pass)
      const ctl = new AbortController()
      const timer = setTimeout(() => ctl.abort(), timeoutMs)
      let res, text
      try {
        res = await fetch(rpcURL, { method: 'POST', headers, body, cache: 'no-store', credentials: 'omit', signal: ctl.signal })
        text = await res.text()
      } catch (e) {
        const err = new DaemonError('daemon_unreachable', ctl.signal.aborted
          ? `The Braid daemon at ${location.host} did not answer ${method} within ${Math.round(timeoutMs / 1000)} s; retrying`
          : `Cannot reach the Braid daemon at ${location.host} (${e.message || e}); retrying`)
        setState('offline', err)
        throw err
      } finally {
        clearTimeout(timer)
      }
      if (res.status === 409) {
        const id = res.headers.get('X-Transmission-Session-Id')
        if (!id) break
        sessionId = id
        continue
      }
      if (res.status === 401) {
        const err = new DaemonError('unauthorized', creds
          ? 'The daemon refused this username and password (HTTP 401): sign in again'
          : 'The daemon needs a username and password (HTTP 401): sign in')
        setState('auth', err)
        throw err
      }
      if (res.status === 421) {
        const err = new DaemonError('host_refused', `The daemon refuses the host name ${location.hostname} (HTTP 421): ` +
          'add it to rpc-host-whitelist in its settings, or open the page by IP address')
        setState('host', err)
        throw err
      }
      if (!res.ok) throw new DaemonError('http', `The daemon answered HTTP ${res.status} to ${method}: ${text.slice(0, 200)}`)
      let j
      try { j = JSON.parse(text) } catch { throw new DaemonError('http', `The daemon's answer to ${method} is not JSON`) }
      setState('online')
      if (!j || j.result !== 'success') throw new DaemonError('rpc', String((j && j.result) || 'no result'))
      return j.arguments || {}
    }
    const err = new DaemonError('session', `The daemon kept refusing the session id (HTTP 409) for ${method}`)
    setState('session', err)
    throw err
  }

  const ids = ih => ({ ids: [ih] })
  async function one (ih, fields) {
    const a = await call('torrent-get', { ...ids(ih), fields })
    const t = (a.torrents || [])[0]
    if (!t) throw new DaemonError('torrent_not_found', `the daemon has no torrent ${ih}`)
    return t
  }

  return {
    remote: true,
    kind: 'daemon',
    auth: !!marker.auth,
    call,
    get state () { return state },
    hasCredentials: () => !!creds,
    /** Keeps the credentials for this tab (sessionStorage) and uses them from now on. */
    setCredentials (user, pass) {
      creds = { user, pass }
      try { sessionStorage.setItem(CREDS_KEY, JSON.stringify(creds)) } catch { /* kept in memory */ }
    },
    async start () {},
    async version () {
      const a = await call('session-get', { fields: ['version', 'rpc-version'] })
      return { release: String(a.version || '').split(' ')[0], daemon: a.version, rpcVersion: a['rpc-version'] }
    },
    async list () {
      const a = await call('torrent-get', { fields: LIST_FIELDS })
      return (a.torrents || []).map(statsOf)
    },
    /** src: .torrent bytes or a magnet link. Resolves {infoHash, name, duplicate}. */
    async download (src) {
      const args = typeof src === 'string' ? { filename: src } : { metainfo: toBase64(src) }
      const a = await call('torrent-add', args)
      const t = a['torrent-added'] || a['torrent-duplicate']
      if (!t) throw new DaemonError('rpc', 'torrent-add answered without the torrent')
      return { infoHash: t.hashString, name: t.name, duplicate: !a['torrent-added'] }
    },
    stopAndSerialize: async ih => { await call('torrent-stop', ids(ih)) },
    resume: async ih => { await call('torrent-start', ids(ih)) },
    remove: async (ih, { deleteData = false } = {}) => { await call('torrent-remove', { ...ids(ih), 'delete-local-data': !!deleteData }) },
    async listFiles (ih) {
      const t = await one(ih, ['files', 'fileStats'])
      const stats = t.fileStats || []
      return (t.files || []).map((f, i) => {
        const s = stats[i] || {}
        const length = Number(f.length) || 0
        const done = Number(f.bytesCompleted) || 0
        return {
          index: i, path: f.name, length, downloaded: done, progress: length ? done / length : 1,
          complete: done >= length, wanted: s.wanted !== false, priority: PRIORITY[s.priority] || 'normal'
        }
      })
    },
    setWanted: async (ih, indices, wanted) => { await call('torrent-set', { ...ids(ih), [wanted ? 'files-wanted' : 'files-unwanted']: indices }) },
    /** priority: 'high', 'normal' or 'low'. */
    setPriority: async (ih, indices, priority) => { await call('torrent-set', { ...ids(ih), [`priority-${priority}`]: indices }) },
    /** down, up: kB/s, or null for none. */
    async setTorrentLimits (ih, { down, up }) {
      await call('torrent-set', {
        ...ids(ih),
        downloadLimited: down != null, ...(down != null ? { downloadLimit: down } : {}),
        uploadLimited: up != null, ...(up != null ? { uploadLimit: up } : {})
      })
    },
    /** where: 'top', 'up', 'down' or 'bottom'. */
    queueMove: async (ih, where) => { await call(`queue-move-${where}`, ids(ih)) },
    setLocation: async (ih, location, move) => { await call('torrent-set-location', { ...ids(ih), location, move: !!move }, { timeoutMs: MOVE_TIMEOUT_MS }) },
    /** The session's limits in kB/s: {down, up}, null when off. */
    async sessionLimits () {
      const a = await call('session-get', { fields: ['speed-limit-down', 'speed-limit-down-enabled', 'speed-limit-up', 'speed-limit-up-enabled'] })
      return { down: a['speed-limit-down-enabled'] ? a['speed-limit-down'] : null, up: a['speed-limit-up-enabled'] ? a['speed-limit-up'] : null, raw: a }
    },
    async setSessionLimits ({ down, up }) {
      const a = { 'speed-limit-down-enabled': down != null, 'speed-limit-up-enabled': up != null }
      if (down != null) a['speed-limit-down'] = down
      if (up != null) a['speed-limit-up'] = up
      await call('session-set', a)
    }
  }
}
