"""Scenarios 8 and 9 of Braid's benchmark (bench.py runs them):

  8 crowd  one seeder, Braid (`braid seed`) or libtorrent (bench/lt.py),
           serving one torrent to a crowd of libtorrent leechers at once
           (bench/lt_crowd.py: 30 sessions in one process, each on its own
           loopback port, each told the seeder's and the other leechers'
           addresses, so they trade); 256 MiB, 256 KiB pieces (16 MiB and
           6 leechers in a smoke run): the time until the last leecher
           completes, the spread of completion times, the seeder's CPU and
           peak RSS
  9 pair   Braid seeding a Braid leecher against libtorrent seeding a
           libtorrent leecher, the benchmark's file, 1 MiB pieces: speed and
           both sides' CPU and peak RSS
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

import procs
import stracesum
from common import MiB, human
from procs import Proc, Timeout

PY = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))
CROWD_PIECE = 256 << 10


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def same_file(a, b):
    return os.path.exists(b) and subprocess.run(["cmp", "-s", a, b]).returncode == 0


def crowd_run(b):
    n, size = b.crowd_leechers, b.crowd_size
    src = b.fresh("crowd-seed")
    payload = os.path.join(src, "crowd.bin")
    log(f"8 crowd: writing {human(size)} of random data for one seeder and {n} leechers")
    with open(payload, "wb") as f:
        left = size
        while left:
            k = min(left, 16 * MiB)
            f.write(os.urandom(k))
            left -= k
    subprocess.run(["cat", payload], stdout=subprocess.DEVNULL, check=True)  # page cache
    torrent = os.path.join(b.work, "crowd.torrent")
    subprocess.run(["mktorrent", "-l", str(CROWD_PIECE.bit_length() - 1), "-o", torrent, payload], check=True,
                   stdout=subprocess.DEVNULL)
    pieces = -(-size // CROWD_PIECE)
    b.crowd = {"leechers": n, "bytes": size, "piece": CROWD_PIECE, "pieces": pieces}
    lseed = b.lt_seeder(torrent, "crowd", data_dir=src)
    bseed = None
    try:
        lseed.wait_json(lambda o: o.get("type") == "ready", 60)
        bseed = b.braid_seeder(torrent, pieces, data_dir=src)
        for run in range(1, b.runs + 1):
            for c, s in (("braid", bseed), ("libtorrent", lseed)):
                crowd_one(b, c, s, [bseed, lseed], torrent, payload, run)
        if b.a.strace:
            log("  crowd: one more run of the Braid seeder under strace -f -c")
            out = os.path.join(b.logs, "strace-crowd-seeder.txt")
            st = stracesum.attach(bseed, out, b.logs, b.name("strace-crowd-seeder"))
            time.sleep(0.5)
            try:
                crowd_one(b, "braid", bseed, [bseed, lseed], torrent, payload, 0, record=False)
            finally:
                stracesum.detach(st)
            b.straces["crowd-seeder"] = stracesum.summary(out)
    finally:
        for s in (bseed, lseed):
            if s:
                s.stop()
        shutil.rmtree(src, ignore_errors=True)


def crowd_one(b, c, seed, seeders, torrent, payload, run, record=True):
    """One run of the whole crowd against one seeder: one row (record)."""
    n, size = b.crowd_leechers, b.crowd_size
    for s in seeders:
        if s.poll() is not None:
            raise RuntimeError(f"seeder {s.name} exited with status {s.rc}; see {s.log.name}")
    b.quiet(seeders)
    d = b.fresh("crowd-leech")
    seed.reset_peak()
    c0, busy0 = seed.cpu(), procs.machine_busy()
    p = Proc(b.name(f"crowd-{c}"), [PY, os.path.join(HERE, "lt_crowd.py"), torrent, d, "--leechers", n,
                                    "--seeder", seed.addr], b.logs, timed=True)
    note, times = "", []
    try:
        p.wait_json(lambda o: o.get("type") == "started", 120)
        _, obj = p.wait_json(lambda o: o.get("type") == "done", 60 + n * size / 10e6)
        times = obj["seconds"]
        if p.wait(60) != 0:
            note = f"exit status {p.rc}"
    except Timeout as e:
        note = str(e)
        p.stop()
    seeder_cpu, seeder_rss = seed.cpu() - c0, seed.peak_rss_mib()
    busy = procs.machine_busy() - busy0
    name = os.path.basename(payload)
    bad = [i for i in range(n) if not note and not same_file(payload, os.path.join(d, str(i), name))]
    if bad:
        note = f"leechers {bad} data missing or different"
    shutil.rmtree(d, ignore_errors=True)
    os.sync()
    ok = not note and len(times) == n
    if not record:
        if not ok:
            log(f"  crowd: the run under strace failed: {note}")
        return
    last = max(times) if ok else 0.0
    extra = {}
    if ok:
        extra = {"first_s": min(times), "median_s": statistics.median(times),
                 "ratio": max(times) / min(times) if min(times) > 0 else 0.0}
    b.record(scenario="crowd", client=c, piece=CROWD_PIECE, run=run, ok=ok, note=note, seconds=last,
             mbps=n * size / last / 1e6 if ok and last else 0.0, cpu=seeder_cpu, rss_mib=seeder_rss,
             seeder_cpu=seeder_cpu, seeder_rss_mib=seeder_rss, leecher_cpu=p.cpu(),
             other_cpu=busy - p.cpu() - seeder_cpu, times=times, **extra)


def pair_run(b):
    piece = MiB
    torrent = b.torrent(piece)
    pieces = -(-b.size // piece)
    lseed = b.lt_seeder(torrent, "pair")
    bseed = None
    try:
        lseed.wait_json(lambda o: o.get("type") == "ready", 60)
        bseed = b.braid_seeder(torrent, pieces)
        log(f"9 pair, {human(piece)} pieces: Braid at {bseed.addr} -> Braid, libtorrent at {lseed.addr} -> libtorrent")
        for run in range(1, b.runs + 1):
            for c, s in (("braid", bseed), ("libtorrent", lseed)):
                s.reset_peak()
                c0 = s.cpu()
                p, ok, note = b.leech(c, torrent, [s.addr], seeder_procs=[bseed, lseed])
                b.row("pair", c, piece, run, p, ok, note, seeder_cpu=s.cpu() - c0,
                      seeder_rss_mib=s.peak_rss_mib(), leecher_cpu=p.cpu())
        b.strace_leech("pair", torrent, [bseed.addr], seeder_procs=[bseed, lseed], attach_to=bseed)
    finally:
        for s in (bseed, lseed):
            if s:
                s.stop()
