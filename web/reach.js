// Saying so when a torrent can reach nobody: a tab finds peers only
// through WebSocket trackers (and ws:// peers it is given), so a torrent
// whose trackers all fail, or that names none, would otherwise wait
// silently.

export const UNREACHABLE_MS = 20000 // how long a torrent waits before the page says so

const answered = t => !t.error && t.last_announce && !String(t.last_announce).startsWith('0001-')

/**
 * The note for a torrent's row ('' for none): once it has had no peer for
 * afterMs while downloading, what it could not reach. view keeps the
 * time it was first seen alone.
 */
export function reachNote (view, st, now, afterMs = UNREACHABLE_MS) {
  const waiting = !view.paused && (st.state === 'downloading' || st.state === 'fetching metadata') && !(Number(st.peers) > 0)
  if (!waiting) { view.aloneSince = 0; return '' }
  if (!view.aloneSince) view.aloneSince = now
  if (now - view.aloneSince < afterMs) return ''
  const secs = Math.round((now - view.aloneSince) / 1000)
  const trs = st.trackers || []
  if (!trs.length) {
    return `No tracker and no peer after ${secs} s: this torrent names no WebSocket tracker a browser can use. ` +
      'Add public trackers in Settings (⚙), or add the torrent with a ws:// peer.'
  }
  const ok = trs.filter(answered)
  if (ok.length) {
    return `No peer after ${secs} s: ${ok.length} of ${trs.length} tracker${trs.length === 1 ? '' : 's'} answered, ` +
      'but nobody reachable from this browser is sharing this torrent right now.'
  }
  const why = trs.map(t => t.error ? `${t.url} (${t.error})` : `${t.url} (no answer)`).join('; ')
  return `No tracker reachable and no peer after ${secs} s: ${why}. Check the network, or the trackers in Settings (⚙).`
}
