// Headless Debian Chromium through playwright-core: one persistent profile
// per context (so IndexedDB survives a reload), WebRTC allowed on loopback.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { CHROMIUM, OUT, log, withTimeout } from './env.mjs'

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // ICE on 127.0.0.1 (with the camera/microphone grant below, Chromium
  // shows host candidates instead of mDNS names).
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required'
]

/**
 * Runs in every page before its scripts: test mode (BRAID_TEST_OFFLINE:
 * Braid refuses to start with an ICE server or tracker outside loopback
 * and private networks) and a config with no public STUN servers or
 * trackers; config (the test's own, e.g. a TURN server) is merged over it.
 */
function offlineInit (config) {
  globalThis.BRAID_TEST_OFFLINE = true
  globalThis.BRAID_CONFIG = { iceServers: [], publicTrackers: [], ...config, ...(globalThis.BRAID_CONFIG || {}) }
}

/**
 * Launches a context with a fresh profile directory (or profileDir, to reuse
 * one). origins get the camera/microphone grant WebRTC needs on loopback.
 * braidConfig is merged into the page's start config (window.BRAID_CONFIG).
 * lan: Chromium as people run it (no loopback flag; pass no origins, so
 * host candidates are mDNS names); executablePath: another Chromium (e.g.
 * lan.mjs's, inside a namespace).
 * Returns {ctx, profileDir, close}; close keeps the profile when keep is set.
 */
export async function launch ({ name = 'ctx', origins = [], profileDir, keep = false, braidConfig = {}, lan = false, executablePath = CHROMIUM } = {}) {
  const dir = profileDir || fs.mkdtempSync(path.join(os.tmpdir(), `braid-e2e-${name}-`))
  const ctx = await withTimeout(chromium.launchPersistentContext(dir, {
    executablePath,
    headless: true,
    args: lan ? ARGS.filter(a => a !== '--allow-loopback-in-peer-connection') : ARGS,
    acceptDownloads: true,
    viewport: { width: 1200, height: 800 }
  }), 30000, `launch chromium (${name})`)
  await ctx.addInitScript(offlineInit, braidConfig)
  for (const o of origins) await ctx.grantPermissions(['camera', 'microphone'], { origin: new URL(o).origin })
  ctx.setDefaultTimeout(30000)
  const pageLog = fs.createWriteStream(path.join(OUT, `browser-${name}.log`), { flags: 'a' })
  ctx.on('page', p => watchPage(p, name, pageLog))
  for (const p of ctx.pages()) watchPage(p, name, pageLog)
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await withTimeout(ctx.close(), 15000, `close chromium (${name})`).catch(e => log(String(e)))
    pageLog.end()
    if (!keep) fs.rmSync(dir, { recursive: true, force: true })
  }
  return { ctx, profileDir: dir, close }
}

function watchPage (page, name, stream) {
  page.on('console', m => stream.write(`[${name} console.${m.type()}] ${m.text()}\n`))
  page.on('pageerror', e => { stream.write(`[${name} pageerror] ${e.stack || e}\n`); log(`[${name} pageerror]`, String(e)) })
  page.on('crash', () => log(`[${name}] page crashed`))
}

/** Screenshot into test-output/e2e/<file>, never failing the test. */
export async function screenshot (page, file) {
  try {
    await withTimeout(page.screenshot({ path: path.join(OUT, file), fullPage: true }), 15000, 'screenshot')
  } catch (e) { log('screenshot failed:', String(e)) }
}
