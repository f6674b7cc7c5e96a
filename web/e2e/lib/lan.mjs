// A LAN of network namespaces for the browser tests: a switch namespace
// holding a bridge, and hosts that each have one address on it
// (NET.1, NET.2, ...), a default route through it (Chromium gathers host
// candidates only with one) and multicast flowing between them (mDNS).
// Nothing is created in the namespace the test runs in; down() kills what
// runs inside the hosts and deletes them. Needs root and iproute2.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CHROMIUM, log } from './env.mjs'

function ip (...args) {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 15000 })
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${(r.stderr || r.error || '').toString().trim()}`)
  return r.stdout
}

let seq = 0

/**
 * Creates n hosts on a private bridge. Returns {hosts: [{ns, addr}], net,
 * wrap(i, cmd, args) → [cmd, args] running in host i (1-based),
 * chromium(i) → path of a Chromium that runs in host i, down()}.
 */
export function makeLan (n, { net = '10.79.0' } = {}) {
  if (process.getuid && process.getuid() !== 0) throw new Error('makeLan: needs root (ip netns)')
  const prefix = `blan${process.pid % 100000}${seq++}`
  const made = []
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-e2e-lan-'))
  const down = () => {
    for (const ns of [...made].reverse()) {
      const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split(/\s+/).filter(Boolean)
      for (const p of pids) { try { process.kill(Number(p), 'SIGKILL') } catch { /* gone */ } }
      spawnSync('ip', ['netns', 'del', ns])
    }
    made.length = 0
    fs.rmSync(tmp, { recursive: true, force: true })
  }
  try {
    const sw = `${prefix}-sw`
    ip('netns', 'add', sw)
    made.push(sw)
    ip('-n', sw, 'link', 'set', 'lo', 'up')
    // No IGMP snooping: mDNS (224.0.0.251) reaches every port.
    ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'mcast_snooping', '0')
    ip('-n', sw, 'link', 'set', 'br0', 'up')
    const hosts = []
    for (let i = 1; i <= n; i++) {
      const ns = `${prefix}-h${i}`
      ip('netns', 'add', ns)
      made.push(ns)
      ip('link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', `h${i}`, 'netns', sw)
      ip('-n', sw, 'link', 'set', `h${i}`, 'master', 'br0', 'up')
      ip('-n', ns, 'link', 'set', 'lo', 'up')
      ip('-n', ns, 'addr', 'add', `${net}.${i}/24`, 'dev', 'eth0')
      ip('-n', ns, 'link', 'set', 'eth0', 'up')
      ip('-n', ns, 'route', 'add', 'default', 'dev', 'eth0')
      hosts.push({ ns, addr: `${net}.${i}` })
    }
    log(`LAN ${prefix}: ${hosts.map(h => `${h.ns}=${h.addr}`).join(' ')}`)
    const host = i => {
      const h = hosts[i - 1]
      if (!h) throw new Error(`makeLan: no host ${i}`)
      return h
    }
    return {
      hosts,
      net,
      down,
      wrap: (i, cmd, args = []) => ['ip', ['netns', 'exec', host(i).ns, cmd, ...args]],
      chromium (i) {
        // Playwright talks to Chromium over a pipe, so Chromium can live
        // in another namespace than this test.
        const f = path.join(tmp, `chromium-h${i}`)
        fs.writeFileSync(f, `#!/bin/sh\nexec ip netns exec ${host(i).ns} ${CHROMIUM} "$@"\n`, { mode: 0o755 })
        return f
      }
    }
  } catch (e) {
    down()
    throw e
  }
}

function sdpRecorder () {
  const Orig = globalThis.RTCPeerConnection
  if (!Orig || globalThis.__braidSDP) return
  const pcs = globalThis.__braidSDP = []
  globalThis.RTCPeerConnection = class extends Orig {
    constructor (...args) {
      super(...args)
      pcs.push(this)
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'connected') this.__braidWasConnected = true
      })
    }
  }
}

/** Keeps every RTCPeerConnection the pages of ctx make (see sdpCandidates). */
export function recordSDP (ctx) {
  return ctx.addInitScript(sdpRecorder)
}

/**
 * The a=candidate lines of the page's connections that reached
 * "connected": {local: [...], remote: [...]} (address and type only).
 */
export function sdpCandidates (page) {
  return page.evaluate(() => {
    const pick = sdp => (sdp || '').split(/\r?\n/).filter(l => l.startsWith('a=candidate:'))
      .map(l => { const f = l.split(' '); return `${f[4]} ${f[7]}` }) // address, typ
    const out = { local: [], remote: [], connected: 0 }
    for (const pc of globalThis.__braidSDP || []) {
      if (pc.connectionState !== 'connected' && !pc.__braidWasConnected) continue
      out.connected++
      out.local.push(...pick(pc.localDescription?.sdp))
      out.remote.push(...pick(pc.remoteDescription?.sdp))
    }
    return out
  })
}
