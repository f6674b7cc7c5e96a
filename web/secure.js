// What a page opened over plain http from another machine cannot do.
// Browsers treat only https and localhost as secure contexts; elsewhere
// (`braid web --listen 0.0.0.0:8080` opened across a LAN) there is no
// service worker, no crypto.subtle and no File System Access. Braid still
// downloads, seeds and saves there (Go hashes without WebCrypto; Save
// hands over a Blob), and the page says once what is missing.

/**
 * The note for this page ('' when nothing is missing). env: the global
 * object (isSecureContext, navigator, crypto, showSaveFilePicker,
 * location).
 */
export function secureContextNote (env = globalThis) {
  const secure = env.isSecureContext !== false
  const worker = !!(env.navigator && 'serviceWorker' in env.navigator)
  const picker = typeof env.showSaveFilePicker === 'function'
  if (secure && worker) return ''
  const missing = []
  if (!worker) missing.push('files play only once complete (streaming preview needs a service worker)')
  if (!worker && !picker) missing.push('Save keeps each file in memory while saving it, so very large files may not save')
  if (!env.crypto || !env.crypto.subtle) missing.push('pieces are hashed without WebCrypto (slower)')
  const where = secure ? 'This browser' : `This page is plain http from ${(env.location && env.location.host) || 'another machine'}, not a secure context: it`
  return `${where} works, but ${missing.join('; ')}. ` +
    'For those, open Braid over https, or at http://localhost on the machine that runs it.'
}

/** Shows secureContextNote above the torrents, once; returns the text. */
export function showSecureContextNote (doc = document, env = globalThis) {
  const text = secureContextNote(env)
  if (!text || doc.getElementById('secure-note')) return text
  const el = doc.createElement('div')
  el.id = 'secure-note'
  el.className = 'notice'
  el.setAttribute('role', 'note')
  el.textContent = text
  const before = doc.getElementById('notice')
  if (before && before.parentNode) before.parentNode.insertBefore(el, before)
  else doc.body.appendChild(el)
  return text
}
