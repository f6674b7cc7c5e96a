// What ICE chose in a page: every RTCPeerConnection the page makes is kept
// and its selected candidate pair sampled (a pair is gone once its
// connection closes, so the samples are kept).
import { withTimeout } from './env.mjs'

function recorder () {
  const Orig = globalThis.RTCPeerConnection
  if (!Orig || globalThis.__braidPairs) return
  const pcs = []
  const seen = globalThis.__braidPairs = {}
  globalThis.RTCPeerConnection = class extends Orig {
    constructor (...args) { super(...args); pcs.push(this) }
  }
  setInterval(async () => {
    for (const pc of pcs) {
      if (pc.connectionState !== 'connected') continue
      try {
        const stats = await pc.getStats()
        let pair = null
        stats.forEach(r => { if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId) })
        if (!pair) stats.forEach(r => { if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') pair = r })
        if (!pair) continue
        const l = stats.get(pair.localCandidateId)
        const r = stats.get(pair.remoteCandidateId)
        const key = `${l?.candidateType}/${r?.candidateType}`
        seen[key] = (seen[key] || 0) + 1
      } catch { /* closed meanwhile */ }
    }
  }, 250)
}

/** Records the candidate pairs of every page of ctx from now on. */
export function recordCandidatePairs (ctx) {
  return ctx.addInitScript(recorder)
}

/** {"local/remote candidate types": samples} seen in page so far. */
export function candidatePairs (page) {
  return withTimeout(page.evaluate(() => ({ ...(globalThis.__braidPairs || {}) })), 10000, 'candidate pairs')
}
