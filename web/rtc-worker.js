// RTCPeerConnection for Braid's Worker. Chromium has no RTCPeerConnection
// in workers, so this stand-in forwards to the page, which holds the real
// ones (rtc-page.js). It offers exactly what pion/webrtc's js build (the
// Go side of transport/webrtc) touches: the signalling calls as promises,
// state properties mirrored from the page, the event handler properties,
// and data channels whose messages cross in batches of transferred
// ArrayBuffers (one postMessage carries many 16 KiB messages each way);
// small sends for one channel are merged into one message (queueSend).
//
// Protocol (messages with rtc: true; ids are the worker's "w…" or the
// page's "p…"):
//   worker → page  {op:'pc', pc, config} · {op:'call', pc, id, call, arg}
//                  {op:'dc', pc, dc, label, init} · {op:'close', pc}
//                  {op:'dcclose', dc} · {op:'threshold', dc, value}
//                  {op:'send', batch:[[dc, ArrayBuffer]…]}
//   page → worker  {op:'ret', id, value|error} · {op:'ev', pc, state, ev, candidate}
//                  {op:'datachannel', pc, dc, label} · {op:'dcev', dc, ev, state, error}
//                  {op:'recv', batch:[[dc, ArrayBuffer]…], buffered?:[[dc, acked, amount]…]}
//                  {op:'buffered', batch:[[dc, acked, amount, low]…]}
/* global self */
;(function () {
  'use strict'
  // A send batch is flushed once this many bytes are queued, or FLUSH_MS
  // after its first message: together with the page's receive batching
  // this keeps the crossings per 16 KiB message far below one. A crossing
  // wakes the other thread, which costs more than the delay (requests are
  // pipelined megabytes deep; bulk data fills FLUSH_BYTES at once).
  const FLUSH_BYTES = 1 << 20
  const FLUSH_MS = 8
  // MERGE_MAX: small messages for one channel are merged up to this size,
  // the data-channel message size every peer accepts (16 KiB).
  const MERGE_MAX = 16 << 10
  let post = null // (msg, transfer) => void, set by install
  let seq = 0
  const pcs = new Map()
  const dcs = new Map()
  const calls = new Map()
  const sendQ = []
  let sendQBytes = 0
  let flushTimer = null

  function flush () {
    if (flushTimer !== null) { clearTimeout(flushTimer); flushTimer = null }
    if (!sendQ.length) return
    const batch = sendQ.splice(0)
    sendQBytes = 0
    for (const b of batch) {
      if (b.length === 3) { // a merge buffer: only its used part goes
        b[1] = b[1].slice(0, b[2])
        b.length = 2
      }
    }
    post({ rtc: true, op: 'send', batch }, batch.map(b => b[1]))
  }

  // queueSend queues data (an ArrayBuffer the queue may keep, or a small
  // message it copies) for channel id and returns its length. Small
  // messages (a request, a HAVE) join the channel's previous small message
  // while the two fit in MERGE_MAX: Braid's data channels carry a byte
  // stream, so the boundaries mean nothing, and each data-channel message
  // costs both pages an event and the receiving engine a wake-up.
  function queueSend (id, data) {
    if (!(data instanceof ArrayBuffer)) {
      if (!ArrayBuffer.isView(data)) throw new TypeError('RTCDataChannel.send: unsupported data')
      const u8 = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      const last = sendQ[sendQ.length - 1]
      if (last && last[0] === id && last.length === 3 && last[2] + u8.length <= MERGE_MAX) {
        new Uint8Array(last[1], last[2], u8.length).set(u8)
        last[2] += u8.length
      } else {
        const buf = new ArrayBuffer(MERGE_MAX)
        new Uint8Array(buf, 0, u8.length).set(u8)
        sendQ.push([id, buf, u8.length])
      }
      sendQBytes += u8.length
      return u8.length
    }
    sendQ.push([id, data])
    sendQBytes += data.byteLength
    return data.byteLength
  }

  function fire (target, name, ev) {
    const h = target['on' + name]
    if (typeof h === 'function') {
      try { h.call(target, ev) } catch (e) { console.error('braid: rtc ' + name + ' handler:', e) }
    }
  }

  // A copy of data for the page: send copies its argument at once, as
  // RTCDataChannel.send does (Go hands over reused arrays), and the copy
  // is what moves to the page.
  function ownBuffer (data) {
    if (data instanceof ArrayBuffer) return data.slice(0)
    if (ArrayBuffer.isView(data)) {
      const { buffer, byteOffset, byteLength } = data
      return buffer.slice(byteOffset, byteOffset + byteLength)
    }
    if (typeof data === 'string') return new TextEncoder().encode(data).buffer
    throw new TypeError('RTCDataChannel.send: unsupported data')
  }

  class DataChannel {
    constructor (id, pc, label, init) {
      this._id = id
      this._pc = pc
      this.label = label
      this.ordered = init?.ordered ?? true
      this.maxPacketLifeTime = init?.maxPacketLifeTime ?? null
      this.maxRetransmits = init?.maxRetransmits ?? null
      this.protocol = init?.protocol ?? ''
      this.negotiated = !!init?.negotiated
      this.id = init?.id ?? null
      this.readyState = 'connecting'
      this.binaryType = 'arraybuffer'
      this._threshold = 0
      this._unacked = 0 // bytes sent to the page and not yet handed to the real channel
      this._pageBuffered = 0 // the real channel's bufferedAmount, as last reported
      this._early = [] // messages that arrived before onmessage was set
      this.onopen = this.onclose = this.onclosing = this.onerror = this.onbufferedamountlow = null
      this._onmessage = null
      dcs.set(id, this)
    }

    get onmessage () { return this._onmessage }
    set onmessage (f) {
      this._onmessage = f
      if (typeof f === 'function' && this._early.length) {
        const early = this._early.splice(0)
        for (const data of early) fire(this, 'message', { data })
      }
    }

    get bufferedAmount () { return this._unacked + this._pageBuffered }
    get bufferedAmountLowThreshold () { return this._threshold }
    set bufferedAmountLowThreshold (v) {
      this._threshold = Number(v) || 0
      post({ rtc: true, op: 'threshold', dc: this._id, value: this._threshold })
    }

    send (data) {
      if (this.readyState !== 'open') throw new DOMException('RTCDataChannel.readyState is not \'open\'', 'InvalidStateError')
      const n = data?.byteLength ?? -1
      let q
      if (n < 0 || n > MERGE_MAX / 2) q = ownBuffer(data)
      else q = data instanceof ArrayBuffer ? new Uint8Array(data) : data // copied into a merge buffer
      this._unacked += queueSend(this._id, q)
      if (sendQBytes >= FLUSH_BYTES) flush()
      else if (flushTimer === null) flushTimer = setTimeout(flush, FLUSH_MS)
    }

    close () {
      if (this.readyState === 'closed' || this.readyState === 'closing') return
      flush()
      this.readyState = 'closing'
      post({ rtc: true, op: 'dcclose', dc: this._id })
    }

    // The page handed acked more bytes to the real channel, which now holds
    // amount; low: the real channel fired bufferedamountlow.
    _buffered (acked, amount, low) {
      const before = this.bufferedAmount
      this._unacked = Math.max(0, this._unacked - acked)
      this._pageBuffered = amount
      const now = this.bufferedAmount
      if (now <= this._threshold && (before > this._threshold || low)) fire(this, 'bufferedamountlow', {})
    }

    _recv (data) {
      if (this.readyState === 'closed') return
      if (typeof this._onmessage === 'function') fire(this, 'message', { data })
      else this._early.push(data)
    }

    _event (ev, state, error) {
      if (state) this.readyState = state
      if (ev === 'error') fire(this, 'error', { error: new Error(error || 'data channel error') })
      else fire(this, ev, {})
      if (ev === 'close') {
        dcs.delete(this._id)
        this._early.length = 0
      }
    }
  }

  const EMPTY_STATE = {
    connectionState: 'new',
    iceConnectionState: 'new',
    iceGatheringState: 'new',
    signalingState: 'stable',
    localDescription: null,
    remoteDescription: null
  }

  class PeerConnection {
    constructor (config) {
      if (!post) throw new Error('braid: RTCPeerConnection proxy not installed')
      this._id = 'w' + (++seq)
      Object.assign(this, EMPTY_STATE)
      this.onconnectionstatechange = this.oniceconnectionstatechange = this.onicegatheringstatechange = null
      this.onsignalingstatechange = this.onicecandidate = this.ondatachannel = this.onnegotiationneeded = null
      pcs.set(this._id, this)
      post({ rtc: true, op: 'pc', pc: this._id, config: plain(config) })
    }

    get currentLocalDescription () { return this.localDescription }
    get currentRemoteDescription () { return this.remoteDescription }
    get pendingLocalDescription () { return null }
    get pendingRemoteDescription () { return null }
    get canTrickleIceCandidates () { return null }
    get sctp () { return null }

    _call (call, arg) {
      if (this.signalingState === 'closed') return Promise.reject(new DOMException('The RTCPeerConnection is closed', 'InvalidStateError'))
      const id = ++seq
      return new Promise((resolve, reject) => {
        calls.set(id, { resolve, reject })
        post({ rtc: true, op: 'call', pc: this._id, id, call, arg: plain(arg) })
      })
    }

    createOffer (o) { return this._call('createOffer', o) }
    createAnswer (o) { return this._call('createAnswer', o) }
    setLocalDescription (d) { return this._call('setLocalDescription', d) }
    setRemoteDescription (d) { return this._call('setRemoteDescription', d) }
    addIceCandidate (c) { return this._call('addIceCandidate', c) }
    getStats () { return this._call('getStats') }

    createDataChannel (label, init) {
      const dc = new DataChannel('w' + (++seq), this, String(label), init)
      post({ rtc: true, op: 'dc', pc: this._id, dc: dc._id, label: dc.label, init: plain(init) })
      return dc
    }

    close () {
      if (this.signalingState === 'closed') return
      flush()
      this.signalingState = 'closed'
      this.connectionState = 'closed'
      this.iceConnectionState = 'closed'
      pcs.delete(this._id)
      for (const dc of dcs.values()) {
        if (dc._pc === this) { dc.readyState = 'closed'; dcs.delete(dc._id) }
      }
      post({ rtc: true, op: 'close', pc: this._id })
    }

    _event (state, ev, candidate) {
      Object.assign(this, state)
      if (ev === 'icecandidate') fire(this, ev, { candidate })
      else if (ev) fire(this, ev, {})
    }
  }

  // Structured clone refuses functions; the config and descriptions are data.
  function plain (v) {
    return v === undefined ? undefined : JSON.parse(JSON.stringify(v))
  }

  function onMessage (m) {
    switch (m.op) {
      case 'ret': {
        const c = calls.get(m.id)
        if (!c) return
        calls.delete(m.id)
        const pc = pcs.get(m.pc)
        if (pc && m.state) Object.assign(pc, m.state)
        if (m.error) c.reject(Object.assign(new Error(m.error.message), { name: m.error.name }))
        else c.resolve(m.value)
        return
      }
      case 'ev': {
        const pc = pcs.get(m.pc)
        if (pc) pc._event(m.state, m.ev, m.candidate)
        return
      }
      case 'datachannel': {
        const pc = pcs.get(m.pc)
        if (!pc) return
        const dc = new DataChannel(m.dc, pc, m.label, m.init)
        if (m.state) dc.readyState = m.state
        fire(pc, 'datachannel', { channel: dc })
        return
      }
      case 'dcev': {
        const dc = dcs.get(m.dc)
        if (dc) dc._event(m.ev, m.state, m.error)
        return
      }
      case 'recv':
        for (const [id, data] of m.batch) {
          const dc = dcs.get(id)
          if (dc) dc._recv(data)
        }
        for (const [id, acked, amount] of m.buffered || []) {
          const dc = dcs.get(id)
          if (dc) dc._buffered(acked, amount, false)
        }
        return
      case 'buffered':
        for (const [id, acked, amount, low] of m.batch) {
          const dc = dcs.get(id)
          if (dc) dc._buffered(acked, amount, !!low)
        }
    }
  }

  /** Installs the proxy as self.RTCPeerConnection; postToPage carries its messages. */
  self.braidInstallRTC = function (postToPage) {
    post = postToPage
    self.RTCPeerConnection = PeerConnection
    self.RTCDataChannel = DataChannel
    // pion's js build finds the constructor as window.RTCPeerConnection.
    if (typeof self.window === 'undefined') self.window = self
    return onMessage
  }
})()
