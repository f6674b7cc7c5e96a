// Random multi-file content written to a temporary directory, with the
// SHA-256 of every file so downloads can be compared byte for byte.
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export const MiB = 1 << 20

/**
 * Writes files {relPath: length} under <tmp>/<name>/ and returns
 * {dir, name, files: [{path, length, sha256, abs}], total, cleanup}.
 * path is relative to the torrent root with '/' separators.
 */
export function makeContent (name, layout) {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-e2e-content-'))
  const dir = path.join(parent, name)
  const files = []
  for (const [rel, length] of Object.entries(layout)) {
    const abs = path.join(dir, ...rel.split('/'))
    fs.mkdirSync(path.dirname(abs), { recursive: true })
    const data = crypto.randomBytes(length)
    fs.writeFileSync(abs, data)
    files.push({ path: rel, length, sha256: sha256(data), abs })
  }
  const total = files.reduce((s, f) => s + f.length, 0)
  return { dir, name, files, total, cleanup: () => fs.rmSync(parent, { recursive: true, force: true }) }
}

/** The default ≥16 MiB multi-file layout, with lengths off piece boundaries. */
export function multiFileLayout (scale = 1) {
  return {
    'video/clip.bin': Math.round(9 * MiB * scale) + 12345,
    'docs/readme.txt': 4321,
    'data/part-a.bin': Math.round(5 * MiB * scale) + 777,
    'data/part-b.bin': Math.round(2 * MiB * scale) + 1
  }
}

/** A flat ≥16 MiB layout (Braid's seed() takes file names, not paths). */
export function flatLayout (scale = 1) {
  return Object.fromEntries(Object.entries(multiFileLayout(scale)).map(([rel, length]) => [rel.split('/').pop(), length]))
}

export function sha256 (data) {
  return crypto.createHash('sha256').update(data).digest('hex')
}

/** Strips the torrent name from a file path that may carry it ("name/a/b" → "a/b"). */
export function relPath (p, name) {
  p = String(p).replace(/\\/g, '/')
  return p.startsWith(name + '/') ? p.slice(name.length + 1) : p
}

/** Compares [{path, length, sha256}] against the content, by path. */
export function diffFiles (content, got) {
  const want = new Map(content.files.map(f => [f.path, f]))
  const problems = []
  const seen = new Set()
  for (const g of got) {
    const rp = relPath(g.path, content.name)
    const w = want.get(rp)
    seen.add(rp)
    if (!w) { problems.push(`unexpected file ${g.path}`); continue }
    if (g.length !== w.length) problems.push(`${rp}: length ${g.length}, want ${w.length}`)
    if (g.sha256 !== w.sha256) problems.push(`${rp}: sha256 ${g.sha256}, want ${w.sha256}`)
  }
  for (const p of want.keys()) if (!seen.has(p)) problems.push(`missing file ${p}`)
  return problems
}
