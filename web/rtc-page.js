// The page's half of Braid's WebRTC: the real RTCPeerConnections, driven by
// the Worker's stand-ins (rtc-worker.js describes the messages). Received
// data-channel messages go to the Worker in batches of transferred
// ArrayBuffers; the Worker's sends arrive the same way.

// A receive batch goes out once this many bytes wait, or FLUSH_MS after its
// first message. Each crossing to the Worker costs both threads a wake-up
// (and the Worker a call into Go), far more than the few milliseconds of
// latency: a leecher keeps megabytes requested, so the pipe never waits on
// them. Acknowledgements of the Worker's sends ride in the same crossing.
const FLUSH_BYTES = 1 << 20
const FLUSH_MS = 8

/**
 * Serves the Worker's RTCPeerConnection calls; post(msg, transfer) reaches
 * the Worker. Returns {onMessage(msg), close(), stats}; stats counts the
 * data-channel messages and the batches they crossed in, each way.
 */
export function hostRTC (post) {
  const stats = { recvMessages: 0, recvBatches: 0, sendMessages: 0, sendBatches: 0 }
  const pcs = new Map()
  const dcs = new Map()
  const owner = new Map() // data channel id → its peer connection's id
  let seq = 0
  let rx = []
  let rxBytes = 0
  let acks = new Map() // data channel id → [bytes handed to it, its bufferedAmount] not yet told to the Worker
  let flushTimer = null

  function schedule () {
    if (flushTimer === null) flushTimer = setTimeout(flushRx, FLUSH_MS)
  }

  // flushRx posts the received messages and the pending acknowledgements.
  function flushRx () {
    if (flushTimer !== null) { clearTimeout(flushTimer); flushTimer = null }
    let buffered
    if (acks.size) {
      buffered = []
      for (const [id, [n, amount]] of acks) buffered.push([id, n, amount])
      acks = new Map()
    }
    if (!rx.length) {
      if (buffered) post({ rtc: true, op: 'buffered', batch: buffered })
      return
    }
    const batch = rx
    rx = []
    rxBytes = 0
    stats.recvMessages += batch.length
    stats.recvBatches++
    post({ rtc: true, op: 'recv', batch, buffered }, batch.map(b => b[1]))
  }

  function state (pc) {
    const d = x => x ? { type: x.type, sdp: x.sdp } : null
    return {
      connectionState: pc.connectionState,
      iceConnectionState: pc.iceConnectionState,
      iceGatheringState: pc.iceGatheringState,
      signalingState: pc.signalingState,
      localDescription: d(pc.localDescription),
      remoteDescription: d(pc.remoteDescription)
    }
  }

  const enc = new TextEncoder()
  function wireChannel (id, dc, pcID) {
    dcs.set(id, dc)
    owner.set(id, pcID)
    dc.binaryType = 'arraybuffer'
    dc.onmessage = e => {
      const data = typeof e.data === 'string' ? enc.encode(e.data).buffer : e.data
      if (!(data instanceof ArrayBuffer) || data.byteLength === 0) return
      rx.push([id, data])
      rxBytes += data.byteLength
      if (rxBytes >= FLUSH_BYTES) flushRx()
      else schedule()
    }
    const ev = (name, extra) => () => {
      // Whatever arrived before the channel closed reaches the Worker first.
      if (name === 'close') flushRx()
      post({ rtc: true, op: 'dcev', dc: id, ev: name, state: dc.readyState, ...extra })
      if (name === 'close') { dcs.delete(id); owner.delete(id) }
    }
    dc.onopen = ev('open')
    dc.onclose = ev('close')
    dc.onclosing = ev('closing')
    dc.onerror = e => ev('error', { error: String(e?.error?.message || 'data channel error') })()
    // At once: a Worker waiting for room must not wait FLUSH_MS more.
    dc.onbufferedamountlow = () => {
      const a = acks.get(id)
      acks.delete(id)
      post({ rtc: true, op: 'buffered', batch: [[id, a ? a[0] : 0, dc.bufferedAmount, true]] })
    }
  }

  function newPC (id, config) {
    // Looked up at each call: tests may wrap the constructor.
    const pc = new globalThis.RTCPeerConnection(config)
    pcs.set(id, pc)
    const ev = name => () => post({ rtc: true, op: 'ev', pc: id, ev: name, state: state(pc) })
    pc.onconnectionstatechange = ev('connectionstatechange')
    pc.oniceconnectionstatechange = ev('iceconnectionstatechange')
    pc.onicegatheringstatechange = ev('icegatheringstatechange')
    pc.onsignalingstatechange = ev('signalingstatechange')
    pc.onicecandidate = e => post({
      rtc: true,
      op: 'ev',
      pc: id,
      ev: 'icecandidate',
      state: state(pc),
      // The candidate line only: pion parses it when other fields are absent.
      candidate: e.candidate ? { candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex } : null
    })
    pc.ondatachannel = e => {
      const dcID = 'p' + (++seq)
      wireChannel(dcID, e.channel, id)
      post({
        rtc: true,
        op: 'datachannel',
        pc: id,
        dc: dcID,
        label: e.channel.label,
        state: e.channel.readyState,
        init: { ordered: e.channel.ordered, protocol: e.channel.protocol, negotiated: e.channel.negotiated, id: e.channel.id }
      })
    }
  }

  async function call (m) {
    const pc = pcs.get(m.pc)
    try {
      if (!pc) throw new DOMException('The RTCPeerConnection is closed', 'InvalidStateError')
      let value
      switch (m.call) {
        case 'createOffer': case 'createAnswer': {
          const d = await pc[m.call](m.arg)
          value = { type: d.type, sdp: d.sdp }
          break
        }
        case 'setLocalDescription': case 'setRemoteDescription': case 'addIceCandidate':
          await pc[m.call](m.arg)
          break
        case 'getStats': {
          const out = {}
          ;(await pc.getStats()).forEach(r => { out[r.id] = r })
          value = out
          break
        }
        default:
          throw new Error(`unknown call ${m.call}`)
      }
      post({ rtc: true, op: 'ret', id: m.id, pc: m.pc, value, state: state(pc) })
    } catch (e) {
      post({ rtc: true, op: 'ret', id: m.id, pc: m.pc, error: { name: e?.name || 'Error', message: String(e?.message || e) } })
    }
  }

  function send (batch) {
    stats.sendMessages += batch.length
    stats.sendBatches++
    const sent = new Map()
    for (const [id, buf] of batch) {
      const dc = dcs.get(id)
      if (!dc) continue
      try {
        if (dc.readyState === 'open') dc.send(buf)
      } catch (e) {
        // A full or closing channel: the Worker learns from its events.
      }
      sent.set(id, (sent.get(id) || 0) + buf.byteLength)
    }
    // The acknowledgements wait for the next crossing to the Worker (at most
    // FLUSH_MS): the Worker lets a channel hold a megabyte, so a few
    // milliseconds of stale bufferedAmount never empty it.
    for (const [id, n] of sent) {
      const amount = dcs.get(id)?.bufferedAmount ?? 0
      const a = acks.get(id)
      acks.set(id, [(a ? a[0] : 0) + n, amount])
      if (amount > 0) watch(id)
    }
    if (sent.size) schedule()
  }

  // Channels with bytes still buffered are re-read every WATCH_MS until
  // empty, so the Worker's copy of bufferedAmount drains even where
  // bufferedamountlow never fires (or fires above what the Worker waits for).
  const WATCH_MS = 50
  const watching = new Set()
  let watchTimer = null
  function watch (id) {
    watching.add(id)
    if (!watchTimer) watchTimer = setTimeout(pollBuffered, WATCH_MS)
  }
  function pollBuffered () {
    watchTimer = null
    const out = []
    for (const id of watching) {
      const dc = dcs.get(id)
      const amount = dc ? dc.bufferedAmount : 0
      if (dc) out.push([id, 0, amount])
      if (!dc || amount === 0) watching.delete(id)
    }
    if (out.length) {
      flushRx() // pending acknowledgements first, so amounts arrive in order
      post({ rtc: true, op: 'buffered', batch: out })
    }
    if (watching.size) watchTimer = setTimeout(pollBuffered, WATCH_MS)
  }

  function onMessage (m) {
    switch (m.op) {
      case 'pc':
        try { newPC(m.pc, m.config) } catch (e) {
          post({ rtc: true, op: 'ev', pc: m.pc, ev: 'connectionstatechange', state: { connectionState: 'failed', iceConnectionState: 'failed' } })
        }
        return
      case 'call': call(m); return
      case 'dc': {
        const pc = pcs.get(m.pc)
        if (pc) wireChannel(m.dc, pc.createDataChannel(m.label, m.init), m.pc)
        return
      }
      case 'send': send(m.batch); return
      case 'threshold': {
        const dc = dcs.get(m.dc)
        if (dc) dc.bufferedAmountLowThreshold = m.value
        return
      }
      case 'dcclose': {
        const dc = dcs.get(m.dc)
        if (dc) dc.close()
        return
      }
      case 'close': {
        const pc = pcs.get(m.pc)
        pcs.delete(m.pc)
        if (!pc) return
        // Channels of this connection close with it.
        for (const [id, p] of owner) {
          if (p !== m.pc) continue
          const dc = dcs.get(id)
          if (dc) { dc.onmessage = dc.onopen = dc.onclose = dc.onclosing = dc.onerror = dc.onbufferedamountlow = null }
          dcs.delete(id)
          owner.delete(id)
        }
        pc.close()
      }
    }
  }

  function close () {
    clearTimeout(watchTimer)
    clearTimeout(flushTimer)
    flushTimer = null
    watching.clear()
    for (const pc of pcs.values()) pc.close()
    pcs.clear()
    dcs.clear()
    owner.clear()
  }

  return { onMessage, close, stats }
}
