// The setup the browser tests share. Every step starts something and
// registers its teardown with the test's Cleanup (run by its after hook),
// so a test's before hook lists only what its scenario is made of.
import fs from 'node:fs'
import path from 'node:path'
import { launch } from './browser.mjs'
import { openBraid, seedFromURLs } from './braidpage.mjs'
import { makeContent } from './content.mjs'
import { requirePrereqs } from './env.mjs'
import { braidCreate, startBraid, startLibtorrent, tempDir } from './native.mjs'
import { startTracker, startWeb, startWebTorrentPages } from './servers.mjs'
import { wtSeed, wtSeedIsolated } from './webtorrent.mjs'

/**
 * Braid's tracker (unless tracker is false) and the server of the Braid
 * page, after checking the browser tests' prerequisites. Returns {tracker, web}.
 */
export async function startServers (cleanup, { tracker: withTracker = true } = {}) {
  requirePrereqs()
  let tracker
  if (withTracker) {
    tracker = await startTracker()
    cleanup.add(tracker.stop)
  }
  const web = await startWeb()
  cleanup.add(web.stop)
  return { tracker, web }
}

/** A fresh browser profile called name, with the Braid page open and started. */
export async function openBraidProfile (cleanup, web, name) {
  const b = await launch({ name, origins: [web.url] })
  cleanup.add(b.close)
  return openBraid(b.ctx, web.url)
}

/** Random files {relPath: length} under a temporary <name>/ (see makeContent). */
export function tempContent (cleanup, name, layout) {
  const content = makeContent(name, layout)
  cleanup.add(content.cleanup)
  return content
}

/** A temporary working directory {dir} for torrents and peers' downloads. */
export function workDir (cleanup, name) {
  const work = tempDir(name)
  cleanup.add(work.cleanup)
  return work
}

/**
 * A WebTorrent seeder in Node of dir (see wtSeed for opts). With isolated
 * (for tests that reload or kill the browser peer) it runs in a child
 * process that comes back if Node's WebRTC binding crashes it
 * (wtSeedIsolated); its object then has no client or torrent.
 */
export async function webTorrentSeeder (cleanup, dir, trackerWs, { isolated = false, ...opts } = {}) {
  const seeder = isolated ? await wtSeedIsolated(dir, trackerWs, opts) : await wtSeed(dir, trackerWs, opts)
  cleanup.add(seeder.stop)
  return seeder
}

/**
 * WebTorrent in Node seeds fresh content through the WebSocket tracker;
 * browser Braid (profile) has its page open, nothing added yet.
 * Returns {tracker, web, content, seeder, page}.
 */
export async function webTorrentToBrowser (cleanup, { name, layout, profile, seed }) {
  const { tracker, web } = await startServers(cleanup)
  const content = tempContent(cleanup, name, layout)
  const seeder = await webTorrentSeeder(cleanup, content.dir, tracker.ws, seed)
  const page = await openBraidProfile(cleanup, web, profile)
  return { tracker, web, content, seeder, page }
}

/**
 * libtorrent (process seederName) seeds fresh content over TCP from a
 * torrent Braid created; browser Braid (profile) has its page open.
 * Returns {tracker, web, content, work, torrentFile, torrent, seeder, page}.
 */
export async function libtorrentToBrowser (cleanup, { name, layout, seederName, profile }) {
  const { tracker, web } = await startServers(cleanup)
  const content = tempContent(cleanup, name, layout)
  const work = workDir(cleanup, name)
  // HTTP for the TCP peers, ws:// for the WebRTC ones: libtorrent 2.0
  // ignores the second, browser Braid the first.
  const torrentFile = path.join(work.dir, `${name}.torrent`)
  const torrent = braidCreate(content.dir, torrentFile, [tracker.http, tracker.ws])
  const seeder = await startLibtorrent(seederName, 'seed', torrentFile, path.dirname(content.dir))
  cleanup.add(seeder.stop)
  const page = await openBraidProfile(cleanup, web, profile)
  return { tracker, web, content, work, torrentFile, torrent, seeder, page }
}

/**
 * Fresh content served over HTTP (files.url + 'content/') for a browser
 * Braid page (profile) to seed with seedContent. Returns {tracker, web,
 * content, files, page}.
 */
export async function browserSeederOf (cleanup, { name, layout, profile }) {
  const { tracker, web } = await startServers(cleanup)
  const content = tempContent(cleanup, name, layout)
  const files = await startWebTorrentPages(content.dir)
  cleanup.add(files.stop)
  const page = await openBraidProfile(cleanup, web, profile)
  return { tracker, web, content, files, page }
}

/**
 * The page seeds content (fetched from files) announcing to the WebSocket
 * tracker; opts adds seed() options ({protocol, pieceLength}).
 */
export function seedContent (page, files, content, tracker, opts = {}) {
  return seedFromURLs(page, files.url + 'content/', content.files.map(f => f.path), { trackers: [tracker.ws], name: content.name, ...opts })
}

/**
 * Native Braid downloading torrentFile into <work>/bridge and seeding it on
 * (opts as startBraid). Returns {bridge, dir}.
 */
export async function startBridge (cleanup, name, torrentFile, work, opts = {}) {
  const dir = path.join(work.dir, 'bridge')
  const bridge = await startBraid(name, torrentFile, { ...opts, dir })
  cleanup.add(bridge.stop)
  return { bridge, dir }
}

/** Creates <work>/<name>, where one peer downloads; returns its path. */
export function peerDir (work, name) {
  const dir = path.join(work.dir, name)
  fs.mkdirSync(dir)
  return dir
}
