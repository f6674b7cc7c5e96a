// Real media made in the browser, for streaming tests.
import { withTimeout } from './env.mjs'

// Records ms of a noisy canvas as VP8 WebM; noise does not compress, so the
// file is about bitsPerSecond × duration, large enough to outlast the first reads.
export async function recordWebM (page, ms, bitsPerSecond = 2e6, width = 480, height = 270) {
  const b64 = await withTimeout(page.evaluate(async ({ ms, bps, width, height }) => {
    const canvas = document.createElement('canvas')
    canvas.width = width
    canvas.height = height
    const g = canvas.getContext('2d')
    const img = g.createImageData(canvas.width, canvas.height)
    const draw = () => {
      const d = new Uint32Array(img.data.buffer)
      for (let i = 0; i < d.length; i++) d[i] = (Math.random() * 0xffffff) | 0xff000000
      g.putImageData(img, 0, 0)
    }
    draw()
    const rec = new MediaRecorder(canvas.captureStream(25), { mimeType: 'video/webm;codecs=vp8', videoBitsPerSecond: bps })
    const chunks = []
    rec.ondataavailable = e => chunks.push(e.data)
    const timer = setInterval(draw, 40)
    rec.start(500)
    await new Promise(resolve => setTimeout(resolve, ms))
    const stopped = new Promise(resolve => { rec.onstop = resolve })
    rec.stop()
    await stopped
    clearInterval(timer)
    const b = new Uint8Array(await new Blob(chunks).arrayBuffer())
    let s = ''
    for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000))
    return btoa(s)
  }, { ms, bps: bitsPerSecond, width, height }), ms + 30000, 'recording a WebM')
  return Buffer.from(b64, 'base64')
}
