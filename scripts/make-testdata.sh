#!/usr/bin/env bash
# Regenerates the tool-made fixtures under testdata/ (see testdata/README.md):
# the content tree, torrents of it made by libtorrent, transmission-create,
# mktorrent and WebTorrent's create-torrent, a sidecar .json per torrent with
# the info hash the tool itself reported, magnet links, and the resume
# records persist writes. The fixtures are committed: tests never need the
# tools, only this script does (scripts/install-test-deps.sh, make npm-deps).
#
# Deterministic: the content comes from a fixed seed, every tool runs under
# faketime at a fixed date (or is given that date; mktorrent writes none),
# so a rerun with the same tool versions rewrites identical bytes. The tool
# versions are printed and go into the sidecars: another version may lay a
# torrent out differently (and so change its info hash), which git shows.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
td=$root/testdata
py=/usr/bin/python3 # Debian's interpreter: the one that has libtorrent
export TZ=UTC
date='2024-01-01 00:00:00' # every creation date, 1704067200
epoch=1704067200
name=braid-tools
plen=16384 # piece length, bytes: the smallest v2 allows
tracker=http://127.0.0.1:6969/announce
webseed=http://127.0.0.1:8080/
ct=$root/web/e2e/node_modules/create-torrent/index.js
pt=$root/web/e2e/node_modules/parse-torrent/index.js

need() { command -v "$1" >/dev/null 2>&1 || { echo "make-testdata: $1 missing ($2)" >&2; exit 1; }; }
need mktorrent "apt-get install mktorrent"
need transmission-create "apt-get install transmission-cli"
need transmission-show "apt-get install transmission-cli"
need faketime "apt-get install faketime"
need node "apt-get install nodejs"
$py -c 'import libtorrent' 2>/dev/null || { echo "make-testdata: python3-libtorrent missing" >&2; exit 1; }
[[ -f $ct && -f $pt ]] || { echo "make-testdata: run make npm-deps first (create-torrent, parse-torrent)" >&2; exit 1; }

lt_version=$($py -c 'import libtorrent as lt; print(lt.__version__.rsplit(".", 1)[0])')
tr_version=$(transmission-create --version 2>&1 | awk '{print $2; exit}')
mk_version=$(mktorrent -h 2>&1 | awk '/^mktorrent/ {print $2; exit}')
ct_version=$(node -p "require('$root/web/e2e/node_modules/create-torrent/package.json').version")
pt_version=$(node -p "require('$root/web/e2e/node_modules/parse-torrent/package.json').version")
echo "make-testdata: libtorrent $lt_version, transmission $tr_version, mktorrent $mk_version, create-torrent $ct_version, parse-torrent $pt_version"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Everything in torrents/ is made here: start empty, so nothing stale stays.
rm -rf "$td/torrents"
mkdir -p "$td/torrents"

# 1. Content: bytes are SHA-256(seed:path:counter) blocks, text files are
# numbered lines, so the tree is the same on every machine.
rm -rf "$td/content/$name"
$py - "$td/content/$name" <<'EOF'
import hashlib, os, sys
root = sys.argv[1]
files = [  # path, bytes, text?
    ("README.txt", 1234, True),
    ("a/one.bin", 40000, False),
    ("a/b/two.bin", 20001, False),
    ("a/b/c/notes \u00fc.txt", 777, True),
    ("z.bin", 16384, False),
]
for path, n, text in files:
    if text:
        data, i = b"", 0
        while len(data) < n:
            data += b"braid fixture %s line %d\n" % (path.encode(), i)
            i += 1
    else:
        data, i = b"", 0
        while len(data) < n:
            data += hashlib.sha256(b"braid-testdata:%s:%d" % (path.encode(), i)).digest()
            i += 1
    p = os.path.join(root, path)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data[:n])
EOF
# The tools read the content from a copy, so none can touch the fixture.
cp -a "$td/content/$name" "$work/$name"

# sidecar NAME TOOL V1 V2 REPORTED_BY: the JSON the Go tests read.
sidecar() {
	$py - "$td/torrents/$1.json" "$1.torrent" "$2" "$3" "$4" "$5" "$plen" "$name" <<'EOF'
import json, sys
out, torrent, tool, v1, v2, by, plen, name = sys.argv[1:]
d = {
    "torrent": torrent,
    "made_by": tool,
    "content": "content/" + name,
    "piece_length": int(plen),
    "info_hash": v1,
    "info_hash_v2": v2,
    "hash_reported_by": by,
}
with open(out, "w") as f:
    json.dump(d, f, indent=2, ensure_ascii=False)
    f.write("\n")
EOF
}

# 2. libtorrent: v1-only, v2-only and hybrid (v1+v2 with BEP 47 .pad files,
# libtorrent's default). Files are added in a fixed order; libtorrent sorts
# them itself for v2 and hybrid. It also writes the magnet links it makes.
(cd "$work" && exec faketime -f "@$date" $py - "$td/torrents" "$name" "$plen" "$tracker" "$webseed") <<'EOF'
import json, os, sys
import libtorrent as lt
out, name, plen, tracker, webseed = sys.argv[1:]
paths = []
for d, dirs, files in os.walk(name):
    for f in files:
        p = os.path.join(d, f)
        paths.append((p, os.path.getsize(p)))
paths.sort()
kinds = [("v1", lt.create_torrent.v1_only, "v1_only"),
         ("v2", lt.create_torrent.v2_only, "v2_only"),
         ("hybrid", 0, "default (hybrid)")]
magnets = {}
for kind, flags, flagname in kinds:
    fs = lt.file_storage()
    for p, n in paths:
        fs.add_file(p, n)
    ct = lt.create_torrent(fs, int(plen), flags)
    ct.add_tracker(tracker)
    ct.add_url_seed(webseed)
    ct.set_comment("Braid fixture")
    lt.set_piece_hashes(ct, ".")
    data = lt.bencode(ct.generate())
    with open(os.path.join(out, "libtorrent-%s.torrent" % kind), "wb") as f:
        f.write(data)
    ti = lt.torrent_info(lt.bdecode(data))
    ih = ti.info_hashes()
    v1 = str(ih.v1) if ih.has_v1() else ""
    v2 = str(ih.v2) if ih.has_v2() else ""
    with open("libtorrent-%s.hashes" % kind, "w") as f:
        f.write("%s %s %s\n" % (flagname.replace(" ", "_"), v1 or "-", v2 or "-"))
    magnets[kind] = lt.make_magnet_uri(ti)
with open("libtorrent.magnets", "w") as f:
    json.dump(magnets, f)
EOF
for kind in v1 v2 hybrid; do
	read -r flags v1 v2 <"$work/libtorrent-$kind.hashes"
	[[ $v1 == - ]] && v1=""
	[[ $v2 == - ]] && v2=""
	sidecar "libtorrent-$kind" "libtorrent $lt_version (python3-libtorrent), create_torrent flags ${flags//_/ }" \
		"$v1" "$v2" "libtorrent $lt_version torrent_info.info_hashes()"
done

# 3. transmission-create: it always stamps the creation date, hence faketime.
rm -f "$td/torrents/transmission.torrent"
(cd "$work" && faketime -f "@$date" transmission-create -s $((plen / 1024)) -c "Braid fixture" \
	-t "$tracker" -o "$td/torrents/transmission.torrent" "$name" >/dev/null)
chmod 644 "$td/torrents/transmission.torrent" # it writes 0600
show=$(transmission-show "$td/torrents/transmission.torrent")
v1=$(awk '$1 == "Hash:" {print $2}' <<<"$show")
sidecar transmission "transmission-create $tr_version" "$v1" "" "transmission-show $tr_version"
tr_magnet=$(transmission-show --magnet "$td/torrents/transmission.torrent")

# 4. mktorrent: -d leaves the date out; its pieces are 32 KiB at least
# (-l 15). It reports no hash, so libtorrent, an independent
# implementation, reads it.
rm -f "$td/torrents/mktorrent.torrent"
(cd "$work" && mktorrent -d -t 1 -l 15 \
	-c "Braid fixture" -a "$tracker" -w "$webseed" -o "$td/torrents/mktorrent.torrent" "$name" >/dev/null)
v1=$($py -c 'import sys, libtorrent as lt; print(lt.torrent_info(sys.argv[1]).info_hashes().v1)' "$td/torrents/mktorrent.torrent")
plen=32768 sidecar mktorrent "mktorrent $mk_version" "$v1" "" "libtorrent $lt_version torrent_info.info_hashes() (mktorrent reports none)"

# 5. WebTorrent's create-torrent, given the fixed date; its sibling
# parse-torrent (what WebTorrent itself parses with) reports the hash.
(cd "$work" && exec node --input-type=module - "$ct" "$pt" "$td/torrents/create-torrent.torrent" "$name" "$plen" "$tracker" "$webseed" "$epoch") <<'EOF' >"$work/ct.json"
import fs from 'fs'
import { pathToFileURL } from 'url'
const [ct, pt, out, name, plen, tracker, webseed, epoch] = process.argv.slice(2)
const createTorrent = (await import(pathToFileURL(ct))).default
const parseMod = await import(pathToFileURL(pt))
createTorrent(name, {
  pieceLength: +plen, announceList: [[tracker]], urlList: [webseed],
  creationDate: new Date(+epoch * 1000), comment: 'Braid fixture'
}, async (err, buf) => {
  if (err) throw err
  fs.writeFileSync(out, buf)
  const t = await parseMod.default(buf)
  console.log(JSON.stringify({ infoHash: t.infoHash, magnet: parseMod.toMagnetURI(t) }))
})
EOF
v1=$($py -c 'import json, sys; print(json.load(open(sys.argv[1]))["infoHash"])' "$work/ct.json")
ct_magnet=$($py -c 'import json, sys; print(json.load(open(sys.argv[1]))["magnet"])' "$work/ct.json")
sidecar create-torrent "create-torrent $ct_version (WebTorrent)" "$v1" "" "parse-torrent $pt_version"

# Every v1 hash a tool reported must be libtorrent's too: a disagreement
# means a broken fixture, not something for Braid's tests to find.
for j in "$td"/torrents/*.json; do
	$py - "$j" <<'EOF'
import json, os, sys, libtorrent as lt
d = json.load(open(sys.argv[1]))
ti = lt.torrent_info(os.path.join(os.path.dirname(sys.argv[1]), d["torrent"]))
ih = ti.info_hashes()
got = (str(ih.v1) if ih.has_v1() else "", str(ih.v2) if ih.has_v2() else "")
if got != (d["info_hash"], d["info_hash_v2"]):
    sys.exit("make-testdata: %s: libtorrent says %s, sidecar %s" % (d["torrent"], got, (d["info_hash"], d["info_hash_v2"])))
EOF
done

# 6. Magnet links. Tool-made ones as the tools print them; two hand-made
# ones cover what no tool writes (base32 btih, so=, x.pe).
$py - "$td" "$work/libtorrent.magnets" "$tr_magnet" "$ct_magnet" "$tracker" "$webseed" "$lt_version" "$tr_version" "$pt_version" <<'EOF'
import base64, json, os, sys, urllib.parse
td, lt_magnets, tr_magnet, ct_magnet, tracker, webseed, ltv, trv, ptv = sys.argv[1:]
lt = json.load(open(lt_magnets))
def v1(name):
    return json.load(open(os.path.join(td, "torrents", name + ".json")))["info_hash"]
q = urllib.parse.quote
mk = v1("mktorrent")
b32 = base64.b32encode(bytes.fromhex(mk)).decode()
hand_hex = ("magnet:?xt=urn:btih:%s&dn=braid-tools&tr=%s&tr=%s&ws=%s&so=0,2-3&x.pe=127.0.0.1:6881&x.pe=%s"
            % (mk.upper(), q(tracker, safe=""), q("udp://127.0.0.1:6969", safe=""), q(webseed, safe=""), q("[::1]:6882", safe="")))
hand_b32 = "magnet:?xt=urn:btih:%s&dn=braid%%20tools&tr.1=%s" % (b32, q(tracker, safe=""))
entries = [
    ("transmission", "transmission-show %s --magnet" % trv, tr_magnet),
    ("libtorrent-v1", "libtorrent %s make_magnet_uri" % ltv, lt["v1"]),
    ("libtorrent-v2", "libtorrent %s make_magnet_uri: btmh only (BitTorrent v2)" % ltv, lt["v2"]),
    ("libtorrent-hybrid", "libtorrent %s make_magnet_uri: btih and btmh" % ltv, lt["hybrid"]),
    ("create-torrent", "parse-torrent %s toMagnetURI" % ptv, ct_magnet),
    ("mktorrent", "by make-testdata.sh: upper-case hex btih, dn, two tr, ws, so, IPv4 and IPv6 x.pe", hand_hex),
    ("mktorrent", "by make-testdata.sh: base32 btih, dn with %20, tr.1", hand_b32),
]
with open(os.path.join(td, "magnets.txt"), "w") as f:
    f.write("# Magnet links for the torrents in torrents/, written by scripts/make-testdata.sh.\n")
    f.write("# Each link follows a line \"# torrents/NAME.torrent: how it was made\";\n")
    f.write("# the tests read that line to know which info hash the link names.\n")
    for name, how, uri in entries:
        f.write("\n# torrents/%s.torrent: %s\n%s\n" % (name, how, uri.strip()))
EOF

# 7. Resume records, written by persist itself for libtorrent-v1.torrent.
go test -count=1 -run '^TestWriteRecordFixture$' ./persist -update >/dev/null

echo "make-testdata: done; git status testdata shows what changed"
