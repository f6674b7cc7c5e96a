// Reachability settings: STUN and TURN servers and the public WebTorrent
// trackers, kept in localStorage and handed to Braid when the page
// starts. Braid's defaults (api.defaults(), from Go's braid.DefaultICEServers
// and braid.DefaultWebTrackers) apply until the user saves other values;
// an empty list turns them off.

export const SETTINGS_KEY = 'braid.settings'

const $ = sel => document.querySelector(sel)

/** The saved settings as start-config keys: {iceServers?, iceTransportPolicy?, publicTrackers?}. */
export function savedSettings () {
  try {
    const s = JSON.parse(localStorage.getItem(SETTINGS_KEY) || 'null')
    if (!s || typeof s !== 'object') return {}
    const out = {}
    if (Array.isArray(s.iceServers)) out.iceServers = s.iceServers
    if (s.iceTransportPolicy === 'relay') out.iceTransportPolicy = 'relay'
    if (Array.isArray(s.publicTrackers)) out.publicTrackers = s.publicTrackers
    return out
  } catch { return {} }
}

const lines = text => text.split(/[\n,]/).map(l => l.trim()).filter(Boolean)

/** Checks the form; returns {settings} or {error}. */
export function settingsFromForm ({ stun, turnURL, turnUser, turnPass, relayOnly, trackers }) {
  const iceServers = []
  for (const u of lines(stun)) {
    if (!/^stuns?:/i.test(u)) return { error: `STUN server ${u}: want stun:host:port` }
    iceServers.push({ urls: u })
  }
  const turn = lines(turnURL)
  if (turn.length) {
    for (const u of turn) if (!/^turns?:/i.test(u)) return { error: `TURN server ${u}: want turn:host:port` }
    if (!turnUser || !turnPass) return { error: 'A TURN server needs a username and a credential' }
    iceServers.push({ urls: turn, username: turnUser, credential: turnPass })
  } else if (relayOnly) {
    return { error: 'Relay only needs a TURN server' }
  }
  const publicTrackers = lines(trackers)
  for (const u of publicTrackers) if (!/^wss?:\/\//i.test(u)) return { error: `Tracker ${u}: want ws:// or wss://` }
  const settings = { iceServers, publicTrackers }
  if (relayOnly) settings.iceTransportPolicy = 'relay'
  return { settings }
}

/**
 * Wires the settings dialog: filled from the running config (current:
 * what Braid started with, defaults: api.defaults()); Save stores and
 * reloads the page, Reset forgets the saved values.
 */
export function wireSettings (current, defaults) {
  const dlg = $('#settings-dialog')
  const open = $('#settings')
  if (!dlg || !open) return
  const ice = current.iceServers ?? defaults.iceServers ?? []
  const fill = () => {
    const stun = []
    let turn = null
    for (const s of ice) {
      const urls = [].concat(s.urls || s)
      if (urls.some(u => /^turns?:/i.test(u))) turn = { ...s, urls }
      else stun.push(...urls)
    }
    $('#set-stun').value = stun.join('\n')
    $('#set-turn').value = turn ? turn.urls.join('\n') : ''
    $('#set-turn-user').value = turn?.username || ''
    $('#set-turn-pass').value = turn?.credential || ''
    $('#set-relay').checked = current.iceTransportPolicy === 'relay'
    $('#set-trackers').value = (current.publicTrackers ?? defaults.publicTrackers ?? []).join('\n')
    $('#set-error').textContent = ''
  }
  open.addEventListener('click', () => { fill(); dlg.showModal() })
  $('#set-reset').addEventListener('click', () => {
    localStorage.removeItem(SETTINGS_KEY)
    location.reload()
  })
  $('#settings-form').addEventListener('submit', ev => {
    if (ev.submitter && ev.submitter.value === 'cancel') return
    ev.preventDefault()
    const r = settingsFromForm({
      stun: $('#set-stun').value,
      turnURL: $('#set-turn').value,
      turnUser: $('#set-turn-user').value.trim(),
      turnPass: $('#set-turn-pass').value,
      relayOnly: $('#set-relay').checked,
      trackers: $('#set-trackers').value
    })
    if (r.error) { $('#set-error').textContent = r.error; return }
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(r.settings))
    dlg.close()
    location.reload()
  })
}
