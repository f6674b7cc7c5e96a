// coturn (Debian's turnserver) on 127.0.0.1 for the TURN tests: a static
// long-term-credential user, loopback peers allowed, logging to stdout
// (test-output/e2e/<name>.log). A missing turnserver fails the test.
import { spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import dgram from 'node:dgram'
import fs from 'node:fs'
import path from 'node:path'
import { log, sleep, withTimeout } from './env.mjs'
import { startProcess, tempDir } from './native.mjs'

export const TURNSERVER = process.env.BRAID_E2E_TURNSERVER || 'turnserver'

/** A UDP port free on 127.0.0.1 right now. */
function freeUDPPort () {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4')
    s.once('error', reject)
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

/** Resolves once a STUN binding request to 127.0.0.1:port is answered. */
async function stunAnswers (port, ms) {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const ok = await new Promise(resolve => {
      const s = dgram.createSocket('udp4')
      const req = Buffer.alloc(20)
      req.writeUInt16BE(0x0001, 0) // binding request, no attributes
      req.writeUInt32BE(0x2112A442, 4)
      crypto.randomBytes(12).copy(req, 8)
      const t = setTimeout(() => { s.close(); resolve(false) }, 300)
      s.on('message', m => { clearTimeout(t); s.close(); resolve(m.length >= 20 && m.readUInt16BE(0) === 0x0101) })
      s.on('error', () => { clearTimeout(t); s.close(); resolve(false) })
      s.send(req, port, '127.0.0.1')
    })
    if (ok) return
    await sleep(200)
  }
  throw new Error(`timeout after ${ms} ms: turnserver on 127.0.0.1:${port} to answer STUN`)
}

/**
 * Starts turnserver with user:credential on a free port. Returns {url
 * (turn:127.0.0.1:P?transport=udp), username, credential, allocations()
 * (successful TURN allocations logged so far), stop()}.
 */
export async function startTurn (name = 'turnserver') {
  const r = spawnSync(TURNSERVER, ['--version'], { timeout: 10000, encoding: 'utf8' })
  if (r.error || (r.status !== 0 && !/Coturn/i.test(r.stdout + r.stderr))) {
    throw new Error(`${TURNSERVER} missing (apt-get install coturn): ${r.error || r.stderr}`)
  }
  const port = await freeUDPPort()
  const work = tempDir('turn')
  const username = 'braid'
  const credential = crypto.randomBytes(9).toString('base64url')
  const relayMin = 40000 + Math.floor(Math.random() * 20000)
  const args = ['-n', '--no-cli', '--listening-ip=127.0.0.1', `--listening-port=${port}`,
    '--relay-ip=127.0.0.1', '--allow-loopback-peers', `--min-port=${relayMin}`, `--max-port=${relayMin + 200}`,
    '--lt-cred-mech', `--user=${username}:${credential}`, '--realm=braid.test', '--fingerprint',
    '--no-tls', '--no-dtls', '--no-tcp-relay', '--no-multicast-peers',
    '--log-file=stdout', '--simple-log', '--verbose',
    `--pidfile=${path.join(work.dir, 'turnserver.pid')}`, `--userdb=${path.join(work.dir, 'turndb')}`]
  let allocs = 0
  const p = startProcess(name, TURNSERVER, args, {
    onLine (line) { if (/ALLOCATE processed, success/.test(line)) allocs++ }
  })
  try {
    await withTimeout(Promise.race([stunAnswers(port, 15000), p.exited.then(c => { throw new Error(`turnserver exited ${c}: ${p.output()}`) })]),
      20000, 'turnserver to start')
  } catch (e) {
    await p.stop()
    work.cleanup()
    throw e
  }
  log(`turnserver on 127.0.0.1:${port} (relay ports ${relayMin}-${relayMin + 200})`)
  return {
    url: `turn:127.0.0.1:${port}?transport=udp`,
    username,
    credential,
    writeCredential (dir) { const f = path.join(dir, 'turn-pass'); fs.writeFileSync(f, credential + '\n'); return f },
    allocations: () => allocs,
    stop: async () => { await p.stop(); work.cleanup() }
  }
}
