#!/usr/bin/env bash
# Size of the browser client (web/braid.wasm): raw and gzip bytes of the
# release build (-trimpath -ldflags='-s -w', as `make web`), and which Go
# packages its code comes from, read from the function names of a build
# with symbols (the release build has none). Issue 6 wants ≤ 3 MiB gzipped.
#
#   scripts/wasm-size.sh                 top 30 packages, module groups
#   WASM_TOP=60 scripts/wasm-size.sh     more rows
#   WASM_PKG=./cmd/wasm                  the package to build
#   WASM_TAGS="tag1,tag2"                build tags to try a variant
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
GO=${GO:-go}
PKG=${WASM_PKG:-./cmd/wasm}
TOP=${WASM_TOP:-30}
TAGS=${WASM_TAGS:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

GOOS=js GOARCH=wasm $GO build -tags "$TAGS" -trimpath -ldflags='-s -w' -o "$tmp/release.wasm" "$PKG"
GOOS=js GOARCH=wasm $GO build -tags "$TAGS" -trimpath -o "$tmp/symbols.wasm" "$PKG"
GOOS=js GOARCH=wasm $GO list -tags "$TAGS" -deps -f '{{.ImportPath}} {{with .Module}}{{.Path}}{{else}}std{{end}}' "$PKG" >"$tmp/deps"

/usr/bin/python3 -B - "$tmp/release.wasm" "$tmp/symbols.wasm" "$TOP" "$tmp/deps" <<'PY'
import gzip, re, sys, zlib
from collections import defaultdict

release, symbols, top, depsfile = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
raw = open(release, "rb").read()
gz = len(gzip.compress(raw, 9))
MiB = 1 << 20
print(f"web/braid.wasm (release build): raw {len(raw):,} B ({len(raw)/MiB:.2f} MiB), "
      f"gzip -9 {gz:,} B ({gz/MiB:.2f} MiB; target 3.00 MiB)")

def leb(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1
        r |= (x & 0x7F) << s; s += 7
        if x < 0x80:
            return r, i

def name(b, i):
    n, i = leb(b, i)
    return b[i:i + n].decode("utf-8", "replace"), i + n

data = open(symbols, "rb").read()
assert data[:4] == b"\0asm", "not a wasm module"
i, imported, bodies, names, sections = 8, 0, [], {}, defaultdict(int)
while i < len(data):
    sid = data[i]; size, j = leb(data, i + 1); end = j + size
    if sid == 2:  # imports: imported functions come first in the index space
        n, k = leb(data, j)
        for _ in range(n):
            _, k = name(data, k); _, k = name(data, k)
            kind = data[k]; k += 1
            if kind == 0: imported += 1; _, k = leb(data, k)
            elif kind == 1: k += 1; f, k = leb(data, k); _, k = leb(data, k); k = leb(data, k)[1] if f & 1 else k
            elif kind == 2: f, k = leb(data, k); _, k = leb(data, k); k = leb(data, k)[1] if f & 1 else k
            elif kind == 3: k += 2
    elif sid == 10:  # code: one body per defined function
        n, k = leb(data, j)
        for _ in range(n):
            sz, k2 = leb(data, k); bodies.append(sz + (k2 - k)); k = k2 + sz
    elif sid == 0:
        cname, k = name(data, j)
        if cname == "name":
            while k < end:
                sub = data[k]; ssz, k2 = leb(data, k + 1); send = k2 + ssz
                if sub == 1:
                    n, k2 = leb(data, k2)
                    for _ in range(n):
                        idx, k2 = leb(data, k2); nm, k2 = name(data, k2); names[idx] = nm
                k = send
    label = {0: "custom", 1: "type", 2: "import", 3: "function", 6: "global", 7: "export", 10: "code", 11: "data"}.get(sid, str(sid))
    if sid != 0 or not data[j:j + 5].startswith(b"\x04name"):
        sections[label] += size
    i = end

# Function names are mangled: "/", "-", "(", "*", ")" become "_". Match
# them to the linked packages mangled the same way, longest first.
mod = {}
for line in open(depsfile):
    path, m = line.split()
    mod[re.sub(r"[/\-]", "_", path)] = (path, m)
prefixes = sorted(mod, key=len, reverse=True)
def package(sym):
    s = re.sub(r"^(type_\.(eq|hash)\.|go_shape\.)", "", sym)
    for p in prefixes:
        if s.startswith(p + "."):
            return mod[p]
    return (s.split(".")[0] or sym, "runtime-generated")

def area(path):
    """Standard-library packages grouped by what pulls them in."""
    for prefix, name in (("crypto/", "std crypto (tls, x509, fips140)"), ("vendor/golang.org/x/crypto", "std crypto (tls, x509, fips140)"),
                         ("net/http", "std net/http"), ("vendor/golang.org/x/net", "std net/http"), ("vendor/golang.org/x/text", "std net/http"),
                         ("mime", "std net/http"), ("net/textproto", "std net/http"),
                         ("runtime", "std runtime, reflect, sync, internal"), ("internal/", "std runtime, reflect, sync, internal"),
                         ("reflect", "std runtime, reflect, sync, internal"), ("sync", "std runtime, reflect, sync, internal")):
        if path.startswith(prefix):
            return name
    return "std (other)"

pkgs, modules = defaultdict(int), defaultdict(int)
for k, sz in enumerate(bodies):
    path, m = package(names.get(imported + k, "?"))
    pkgs[path] += sz
    modules[area(path) if m == "std" else m] += sz
code = sum(bodies)
print(f"sections (symbol build, raw): code {sections['code']:,} B, data {sections['data']:,} B "
      f"(rodata: type info, pclntab, strings), other {sum(v for k, v in sections.items() if k not in ('code', 'data')):,} B")

print(f"\ncode by module or std area (share of {code:,} B of function bodies):")
for g, sz in sorted(modules.items(), key=lambda x: -x[1])[:25]:
    print(f"  {sz:>10,} B  {100*sz/code:5.1f}%  {g}")
print(f"\ntop {top} packages by code bytes:")
for p, sz in sorted(pkgs.items(), key=lambda x: -x[1])[:top]:
    print(f"  {sz:>10,} B  {100*sz/code:5.1f}%  {p}")
PY
