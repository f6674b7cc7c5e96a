// Saving a file to disk without holding it in memory: the bytes go from
// Braid (api.read, a few MiB at a time) straight to the file.
//  1. File System Access (showSaveFilePicker, Chromium in a secure
//     context): the user picks the file; chunks are written to it.
//  2. Otherwise, with the service worker in control: a download of
//     stream/<infoHash>/<index>/<name>?download=1, which sw.js answers as
//     an attachment streamed from api.read.
//  3. Otherwise (plain http on a LAN: neither exists) a Blob of the whole
//     file, the one path that holds it in memory.

const CHUNK = 4 << 20 // bytes per api.read while writing to a picked file

/** Which way saveFile would save now: 'picker', 'worker' or 'blob'. */
export function saveMethod () {
  if (typeof globalThis.showSaveFilePicker === 'function') return 'picker'
  if ('serviceWorker' in navigator && navigator.serviceWorker.controller) return 'worker'
  return 'blob'
}

/**
 * Saves file f ({index, path, length}) of torrent infoHash as name.
 * Resolves with the method used, or null when the user cancelled the picker.
 */
export async function saveFile (api, infoHash, f, name) {
  const method = saveMethod()
  if (method === 'picker') {
    let handle
    try {
      handle = await globalThis.showSaveFilePicker({ suggestedName: name })
    } catch (err) {
      if (err && err.name === 'AbortError') return null
      throw err
    }
    const out = await handle.createWritable()
    try {
      for (let off = 0; off < f.length; off += CHUNK) {
        const data = await api.read(infoHash, f.index, off, Math.min(CHUNK, f.length - off))
        if (!data.length) throw new Error(`short read at ${off} of ${f.length}`)
        await out.write(data)
      }
      await out.close()
    } catch (err) {
      await out.abort().catch(() => {})
      throw err
    }
    return method
  }
  if (method === 'worker') {
    // A navigation (Chromium routes it through the service worker; an
    // <a download> request it sends past the worker) in a hidden frame:
    // the attachment becomes a download and the page stays.
    const frame = document.createElement('iframe')
    frame.hidden = true
    frame.src = `stream/${infoHash}/${f.index}/${encodeURIComponent(name)}?download=1`
    document.body.appendChild(frame)
    setTimeout(() => frame.remove(), 60000)
    return method
  }
  const url = URL.createObjectURL(await api.fileBlob(infoHash, f.index))
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60000)
  return method
}
