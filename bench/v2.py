"""The benchmark's BitTorrent v2 (BEP 52) rows (issue 16): a v2-only torrent
of the benchmark's file, made by `braid create --protocol v2` (the same
bytes libtorrent 2.0 makes for the same file and piece length).

download_v2  one libtorrent seeder of the v2 torrent -> a Braid leecher and a
             libtorrent leecher, beside the v1 rows of the download table
verify_v2    re-verify of the complete file with no resume data: Braid
             (`braid seed`, SHA-256 Merkle trees) against libtorrent's
             force_recheck, and the all-core SHA-256 limit (bench/sha1limit
             -algo sha256: 16 KiB leaves hashed up to each piece's root)
"""
import json
import os
import shutil
import subprocess
import sys

from common import MiB, human

PIECE = MiB


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def torrent(b):
    """The v2-only torrent of the benchmark's file, 1 MiB pieces."""
    t = os.path.join(b.work, f"payload-v2-{PIECE // 1024}k.torrent")
    if not os.path.exists(t):
        subprocess.run([b.a.braid, "create", "--protocol", "v2", "--piece-length", str(PIECE), "-o", t, b.payload],
                       check=True, stdout=subprocess.DEVNULL)
    return t


def download_v2(b):
    t = torrent(b)
    seed = b.lt_seeder(t, "v2")
    try:
        seed.wait_json(lambda o: o.get("type") == "ready", 60)
        log(f"1 download, v2-only torrent, {human(PIECE)} pieces, libtorrent seeder at {seed.addr}")
        for run in range(1, b.runs + 1):
            for c in ("braid", "libtorrent"):
                c0 = seed.cpu()
                p, ok, note = b.leech(c, t, [seed.addr], seeder_procs=[seed])
                b.row("download-v2", c, PIECE, run, p, ok, note, seeder_cpu=seed.cpu() - c0)
    finally:
        seed.stop()


def verify_v2(b, vdir, copy, run):
    """One run of the v2 re-verify rows over copy (the file in vdir)."""
    t = torrent(b)
    pieces = -(-b.size // PIECE)
    for c in ("braid", "libtorrent"):
        for f in os.listdir(vdir):
            if f != os.path.basename(copy):
                path = os.path.join(vdir, f)
                if not os.path.isdir(path):
                    os.remove(path)
        b.verify_one(c, t, vdir, pieces, run, scenario="verify-v2")
    lim = subprocess.run([b.a.sha1limit, "-algo", "sha256", "-piece", str(PIECE), copy], capture_output=True,
                         text=True, timeout=b.check_timeout, check=True)
    for line in lim.stdout.splitlines():
        o = json.loads(line)
        b.record(scenario="verify-v2", client=f"sha256-{o['workers']}", piece=PIECE, run=run, ok=True,
                 note="", seconds=o["seconds"], mbps=o["mbps"], cpu=0.0, rss_mib=0.0)


def run_alone(b):
    """The v2 rows without the v1 scenarios around them (BENCH_SCENARIOS=v2)."""
    download_v2(b)
    vdir = b.fresh("verify")
    copy = os.path.join(vdir, os.path.basename(b.payload))
    shutil.copyfile(b.payload, copy)
    os.sync()
    subprocess.run(["cat", copy], stdout=subprocess.DEVNULL, check=True)
    log(f"4 verify, v2-only torrent, {human(PIECE)} pieces, complete data in the page cache, no resume data")
    for run in range(1, b.runs + 1):
        verify_v2(b, vdir, copy, run)
