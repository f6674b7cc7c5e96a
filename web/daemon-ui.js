// What the page adds when a `braid daemon` serves it (rpc-backend.js is
// the backend): the connection's state in the header (outage, sign-in),
// the sign-in form, the daemon's speed limits, and per torrent an
// Options dialog (queue order, location, limits) and per file a
// download checkbox and a priority. app.js calls the hooks of the
// object daemonBackend returns (decorateRow, renderRow, decorateFile,
// renderFile, afterRefresh); in-tab mode has none of this.
import { connectDaemon } from './rpc-backend.js'

const $ = sel => document.querySelector(sel)
// Errors of the connection itself: cleared once the daemon answers again.
const CONNECTION_CODES = new Set(['daemon_unreachable', 'unauthorized', 'session', 'host_refused'])

function setText (el, text) {
  if (el.textContent !== text) el.textContent = text
}

// A limit field: null when its box is off, else a whole number of kB/s.
function limitOf (onSel, valSel, what) {
  if (!$(onSel).checked) return null
  const n = Number($(valSel).value)
  if (!Number.isInteger(n) || n < 1 || n > 1e9) throw new Error(`${what}: want a whole number of kB/s, at least 1`)
  return n
}

function fillLimit (onSel, valSel, v) {
  $(onSel).checked = v != null
  $(valSel).value = v != null ? String(v) : ''
}

/**
 * The daemon's API and the page's hooks for it. ui: {showError,
 * clearError, refresh} of app.js.
 */
export function daemonBackend (marker, { showError, clearError, refresh }) {
  const status = $('#status')
  const authDlg = $('#auth-dialog')
  let authDismissed = false
  let rows = new Map() // infoHash -> view, as of the last refresh
  let current = null // the view whose Options dialog is open

  function onState (state, err) {
    const s = {
      online: ['daemon', 'ready', `Driving the Braid daemon at ${location.host} over its RPC`],
      offline: ['daemon unreachable', 'offline', err && err.message],
      auth: ['sign in needed', 'auth', 'Click to sign in'],
      session: ['session refused', 'offline', err && err.message],
      host: ['host name refused', 'offline', err && err.message]
    }[state]
    if (!s) return
    status.textContent = s[0]
    status.dataset.state = s[1]
    document.documentElement.dataset.daemon = s[1] // the list dims while it may be stale
    status.title = s[2] || ''
    if (state === 'online') {
      if (CONNECTION_CODES.has($('#error').dataset.code) && !$('#error').hidden) clearError()
      return
    }
    showError(err)
    if (state === 'auth' && !authDismissed) openAuth(err)
  }

  const api = connectDaemon(marker, { onState })

  // ---------- sign-in ----------

  function openAuth (err) {
    setText($('#auth-why'), api.auth || api.hasCredentials()
      ? `The daemon at ${location.host} asks for the username and password of its RPC (rpc-username, rpc-password).`
      : 'The daemon asks for credentials.')
    setText($('#auth-error'), api.hasCredentials() && err ? err.message : '')
    if (!authDlg.open) authDlg.showModal()
    $('#auth-user').focus()
  }

  $('#auth-form').addEventListener('submit', async ev => {
    if (ev.submitter && ev.submitter.value === 'cancel') { authDismissed = true; return }
    ev.preventDefault()
    $('#auth-submit').disabled = true
    setText($('#auth-error'), '')
    api.setCredentials($('#auth-user').value, $('#auth-pass').value)
    try {
      const v = await api.version()
      if (v.release) $('#version').textContent = 'v' + v.release.replace(/^v/, '')
      authDismissed = false
      authDlg.close()
      await refresh()
    } catch (err) {
      setText($('#auth-error'), err.message || String(err))
    } finally {
      $('#auth-submit').disabled = false
    }
  })
  status.addEventListener('click', () => {
    if (status.dataset.state === 'auth') { authDismissed = false; openAuth(null) }
  })

  // ---------- header: the tab's own settings give way to the daemon's limits ----------

  document.documentElement.dataset.backend = 'daemon'
  $('#settings').hidden = true
  const seed = $('.add .seed')
  if (seed) seed.hidden = true
  const limBtn = document.createElement('button')
  limBtn.id = 'limits'
  limBtn.type = 'button'
  limBtn.className = 'icon-btn'
  limBtn.textContent = '⇅'
  limBtn.title = "The daemon's speed limits"
  limBtn.setAttribute('aria-label', 'Speed limits')
  $('#theme').before(limBtn)
  const limDlg = $('#limits-dialog')
  limBtn.addEventListener('click', async () => {
    setText($('#lim-error'), '')
    try {
      const l = await api.sessionLimits()
      fillLimit('#lim-down-on', '#lim-down', l.down)
      fillLimit('#lim-up-on', '#lim-up', l.up)
      // Show the last values even where a limit is off.
      if (l.down == null) $('#lim-down').value = String(l.raw['speed-limit-down'] ?? '')
      if (l.up == null) $('#lim-up').value = String(l.raw['speed-limit-up'] ?? '')
    } catch (err) {
      showError(err, 'Speed limits')
      return
    }
    limDlg.showModal()
  })
  $('#limits-form').addEventListener('submit', async ev => {
    if (ev.submitter && ev.submitter.value === 'cancel') return
    ev.preventDefault()
    try {
      const down = limitOf('#lim-down-on', '#lim-down', 'Download')
      const up = limitOf('#lim-up-on', '#lim-up', 'Upload')
      await api.setSessionLimits({ down, up })
      limDlg.close()
    } catch (err) {
      setText($('#lim-error'), err.message || String(err))
      if (err.code) showError(err, 'Speed limits')
    }
  })

  // ---------- a torrent's options ----------

  const optDlg = $('#torrent-dialog')
  const optStatus = text => setText($('#topt-status'), text)
  const optError = (err, what) => {
    setText($('#topt-error'), `${what}: ${err.message || err}`)
    if (err.code) showError(err, `${what} (${current?.stats?.name || current?.infoHash})`)
  }
  optDlg.addEventListener('close', () => { current = null })

  function fillQueue () {
    if (!current?.stats) return
    setText($('#topt-queue'), `(${current.stats.queue_position + 1} of ${rows.size})`)
  }

  function openOptions (view) {
    current = view
    const st = view.stats || {}
    setText($('#topt-name'), st.name || view.infoHash)
    fillQueue()
    $('#topt-location').value = st.download_dir || ''
    fillLimit('#topt-down-on', '#topt-down', st.limits?.down)
    fillLimit('#topt-up-on', '#topt-up', st.limits?.up)
    optStatus('')
    setText($('#topt-error'), '')
    optDlg.showModal()
  }

  async function act (button, busyText, fn, what) {
    if (!current) return
    const view = current
    button.disabled = true
    setText($('#topt-error'), '')
    optStatus(busyText)
    try {
      const done = await fn(view)
      optStatus(done || '')
    } catch (err) {
      optStatus('')
      optError(err, what)
    } finally {
      button.disabled = false
      await refresh()
      if (current === view) fillQueue()
    }
  }

  for (const b of optDlg.querySelectorAll('button[data-queue]')) {
    b.addEventListener('click', () => act(b, '', v => api.queueMove(v.infoHash, b.dataset.queue), 'Queue'))
  }
  $('#topt-location-set').addEventListener('click', ev => {
    const loc = $('#topt-location').value.trim()
    const move = $('#topt-move').checked
    if (!loc) { setText($('#topt-error'), 'Location: name a folder'); return }
    act(ev.currentTarget, move ? 'Moving the data (copied and checked before the old copy goes)…' : 'Setting the location…',
      async v => { await api.setLocation(v.infoHash, loc, move); return move ? `Moved to ${loc}` : `Location set to ${loc}` }, 'Location')
  })
  $('#topt-limits-set').addEventListener('click', ev => {
    let lim
    try {
      lim = { down: limitOf('#topt-down-on', '#topt-down', 'Download'), up: limitOf('#topt-up-on', '#topt-up', 'Upload') }
    } catch (err) { setText($('#topt-error'), err.message); return }
    act(ev.currentTarget, 'Applying…', async v => { await api.setTorrentLimits(v.infoHash, lim); return 'Limits applied' }, 'Speed limits')
  })

  // ---------- per-file choice and priority ----------

  async function fileChange (view, fr, what, fn) {
    fr.pending = true
    try {
      await fn()
    } catch (err) {
      showError(err, `${what} of ${fr.path}`)
    } finally {
      fr.pending = false
      await refresh()
    }
  }

  const extras = {
    decorateRow (view) {
      const opts = document.createElement('button')
      opts.type = 'button'
      opts.className = 'options secondary'
      opts.textContent = 'Options'
      opts.title = 'Queue order, location and speed limits'
      opts.addEventListener('click', () => openOptions(view))
      view.remove.before(opts)
      view.queue = document.createElement('span')
      view.queue.className = 'queue'
      view.queue.title = 'Queue position'
      view.pct.before(view.queue)
      const th = view.files.querySelector('thead th:last-child')
      if (th) th.textContent = 'Download · priority'
    },
    renderRow (view, st) {
      setText(view.queue, `#${(st.queue_position || 0) + 1}`)
    },
    decorateFile (view, fr, f) {
      fr.path = f.path
      const act = fr.tr.querySelector('.act')
      fr.want = document.createElement('input')
      fr.want.type = 'checkbox'
      fr.want.className = 'want'
      fr.want.title = 'Download this file'
      fr.want.setAttribute('aria-label', `Download ${f.path}`)
      fr.want.addEventListener('change', () => {
        const on = fr.want.checked
        fileChange(view, fr, on ? 'Download' : 'Skip', () => api.setWanted(view.infoHash, [f.index], on))
      })
      fr.prio = document.createElement('select')
      fr.prio.className = 'prio'
      fr.prio.title = 'Priority'
      fr.prio.setAttribute('aria-label', `Priority of ${f.path}`)
      for (const p of ['high', 'normal', 'low']) fr.prio.add(new Option(p, p))
      fr.prio.addEventListener('change', () => {
        const p = fr.prio.value
        fileChange(view, fr, `Priority ${p}`, () => api.setPriority(view.infoHash, [f.index], p))
      })
      act.append(fr.want, fr.prio)
    },
    renderFile (view, fr, f) {
      if (fr.pending) return
      if (fr.want.checked !== f.wanted) fr.want.checked = f.wanted
      if (fr.prio.value !== f.priority) fr.prio.value = f.priority
      fr.tr.classList.toggle('unwanted', !f.wanted)
      fr.tr.dataset.wanted = String(f.wanted)
      fr.tr.dataset.priority = f.priority
    },
    /** Rows follow the daemon's queue order. */
    afterRefresh (views) {
      rows = views
      const list = $('#torrents')
      const ordered = [...views.values()].filter(v => v.stats).sort((a, b) => a.stats.queue_position - b.stats.queue_position)
      const now = [...list.children]
      if (ordered.some((v, i) => now[i] !== v.li)) for (const v of ordered) list.appendChild(v.li)
      if (current) fillQueue()
    }
  }
  return { api, extras }
}
