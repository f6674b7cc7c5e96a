#!/usr/bin/python3
"""Braid's side-by-side benchmark (issue 6). Run it through bench/run.sh,
which builds the binaries and installs the other clients first.

Scenarios, on 127.0.0.1 only, DHT/LSD/UPnP/uTP off everywhere:
  1 download  one libtorrent seeder -> each leecher (Braid, libtorrent, aria2,
              Transmission, anacrolix/torrent), 1 MiB and 256 KiB pieces;
              then a v2-only torrent -> Braid and libtorrent (bench/v2.py)
  2 upload    a Braid seeder and a libtorrent seeder -> a libtorrent leecher
  3 swarm     20 libtorrent seeders -> a Braid leecher, a libtorrent leecher
  4 verify    re-check of a complete download with no resume data, against
              the SHA-1 limit (crypto/sha1 on one core and on all cores);
              the v2 torrent's re-check by Braid and libtorrent against the
              SHA-256 limit (bench/v2.py)
  5 scale     1,000 small torrents seeding idle in one Braid client, then
              remove/re-add churn
  6 browser   bench/browser.mjs in a loopback-only network namespace: Braid
              in headless Chromium against WebTorrent's browser build, from
              one WebTorrent seeder in Node and between two browser
              profiles; the bare data channel beside them (bench/
              rtc-ceiling.mjs: no BitTorrent); the size of web/braid.wasm
  7 smallfiles  one libtorrent seeder -> Braid, libtorrent and aria2 leechers, a
              torrent of many small files in nested folders (bench/
              smallfiles: 4,000 files of 1 B to 48 KiB, about 93 MiB; 300
              in a smoke run) made by libtorrent (v1, pieces span files)
  8 crowd     one seeder (Braid, then libtorrent) -> 30 libtorrent leechers
              at once, trading among themselves, 256 MiB (bench/crowd.py)
  9 pair      Braid -> Braid against libtorrent -> libtorrent (bench/crowd.py)
 10 daemon    2,000 torrents in one `braid daemon` against transmission-daemon
              over Transmission's RPC: memory, idle CPU, torrent-get of the
              list, restart (bench/daemon.py)
Runs are interleaved (run 1 of every client, then run 2, ...); tables show
the median and the min-max spread.
"""
import argparse
import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chart  # noqa: E402
import crowd  # noqa: E402
import daemon  # noqa: E402
import procs  # noqa: E402
import stracesum  # noqa: E402
import v2  # noqa: E402
from procs import Proc, Timeout  # noqa: E402
from common import LABEL, LEECHERS, MiB, free_port, human  # noqa: E402,F401
from report import kept_notes, report, targets  # noqa: E402

PY = "/usr/bin/python3"  # Debian's interpreter: it has the libtorrent module
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def parse_size(s):
    s = s.strip()
    for suf, mul in (("GiB", 1 << 30), ("MiB", MiB), ("KiB", 1 << 10), ("G", 1 << 30), ("M", MiB), ("K", 1 << 10)):
        if s.endswith(suf):
            return int(float(s[: -len(suf)]) * mul)
    return int(s)




def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def wait_listening(port, timeout):
    """Waits until something listens on 127.0.0.1:port (read from
    /proc/net/tcp, so nothing connects to it)."""
    want = f"0100007F:{port:04X}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open("/proc/net/tcp") as f:
            for line in f:
                parts = line.split()
                if len(parts) > 3 and parts[1] in (want, f"00000000:{port:04X}") and parts[3] == "0A":
                    return
        time.sleep(0.02)
    raise Timeout(f"nothing listens on port {port} after {timeout} s")


def same_file(a, b):
    if os.path.isdir(a):
        return os.path.isdir(b) and subprocess.run(["diff", "-r", "-q", a, b],
                                                   stdout=subprocess.DEVNULL).returncode == 0
    return os.path.exists(b) and subprocess.run(["cmp", "-s", a, b]).returncode == 0


class Bench:
    def __init__(self, a):
        self.a = a
        self.size = parse_size(a.size)
        self.runs = a.runs
        self.smoke = a.smoke
        self.work = a.workdir
        self.logs = os.path.join(self.work, "logs")
        os.makedirs(self.logs, exist_ok=True)
        self.payload = os.path.join(self.work, "seed", "payload.bin")
        self.results = []
        self.failures = []
        self.scale = None
        self.browser = None
        self.small = None  # the many-small-files tree: files, bytes
        self.crowd = None  # the crowd scenario's shape: leechers, bytes, piece, pieces
        self.daemon = None  # the daemon scenario: its shape and each daemon's figures
        self.daemon_torrents = a.daemon_torrents or (50 if self.smoke else 2000)
        self.straces = {}  # scenario (or scenario-seeder) -> stracesum.summary
        self.strace_to = None  # set: leech() runs Braid under strace -f -c writing here
        self.crowd_size = parse_size(a.crowd_size) if a.crowd_size else (
            min(self.size, 16 * MiB) if self.smoke else 256 * MiB)
        self.crowd_leechers = a.crowd_leechers or (6 if self.smoke else 30)
        if a.browser_size:
            self.browser_size = parse_size(a.browser_size)
        else:  # the browser clients hold the torrent in memory or IndexedDB
            self.browser_size = 2 * MiB if self.smoke else min(self.size, 64 * MiB)
        self.limits = []
        self.serial = 0
        mb = self.size / 1e6
        self.dl_timeout = max(90.0, 60 + mb / 4)   # Transmission serves ~20 MB/s
        self.check_timeout = max(60.0, 30 + mb / 20)
        self.leechers = [c for c in LEECHERS if c != "anacrolix" or a.anacrolix]
        if not a.anacrolix:
            log("anacrolix/torrent is not built; its rows are left out")

    # ---- helpers -------------------------------------------------------
    def quiet(self, ours=()):
        """Waits, at most --quiet-wait seconds, for a second in which other
        work (not our seeders, ours) keeps less than a quarter of a core
        busy: bursts of other jobs then fall between runs, not inside them."""
        deadline = time.monotonic() + self.a.quiet_wait
        while time.monotonic() < deadline:
            b0, c0 = procs.machine_busy(), sum(p.cpu() for p in ours)
            time.sleep(1)
            if procs.machine_busy() - b0 - (sum(p.cpu() for p in ours) - c0) < 0.25:
                return

    def name(self, what):
        self.serial += 1
        return f"{self.serial:03d}-{what}"

    def fresh(self, what):
        d = os.path.join(self.work, what)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        return d

    def record(self, **kw):
        kw["load1"] = os.getloadavg()[0]
        self.results.append(kw)
        if not kw["ok"]:
            self.failures.append(f"{kw['scenario']} {kw['client']} {human(kw.get('piece', 0))} run {kw['run']}: {kw.get('note', '')}")
        ok = "ok" if kw["ok"] else "FAILED " + kw.get("note", "")
        log(f"  {kw['scenario']:8} {kw['client']:14} {human(kw.get('piece', 0)):8} run {kw['run']}: "
            f"{kw.get('seconds', 0):7.2f} s  {kw.get('mbps', 0):7.1f} MB/s  cpu {kw.get('cpu', 0):5.2f} s  "
            f"rss {kw.get('rss_mib', 0):6.1f} MiB  {ok}")

    def make_payload(self):
        os.makedirs(os.path.dirname(self.payload), exist_ok=True)
        log(f"writing {human(self.size)} of random data")
        with open(self.payload, "wb") as f:
            left = self.size
            while left:
                n = min(left, 16 * MiB)
                f.write(os.urandom(n))
                left -= n
        subprocess.run(["cat", self.payload], stdout=subprocess.DEVNULL, check=True)  # page cache

    def torrent(self, piece):
        t = os.path.join(self.work, f"payload-{piece // 1024}k.torrent")
        if not os.path.exists(t):
            exp = piece.bit_length() - 1
            subprocess.run(["mktorrent", "-l", str(exp), "-o", t, self.payload], check=True,
                           stdout=subprocess.DEVNULL)
        return t

    def lt_seeder(self, torrent, tag, data_dir=None):
        port = free_port()
        dial = os.path.join(self.work, f"dial-{tag}.txt")
        open(dial, "w").close()
        p = Proc(self.name(f"lt-seed-{tag}"), [PY, os.path.join(HERE, "lt.py"), "seed", torrent,
                                                data_dir or os.path.dirname(self.payload), "--listen", f"127.0.0.1:{port}",
                                                "--dial-file", dial], self.logs)
        p.addr, p.dial = f"127.0.0.1:{port}", dial
        return p

    def braid_seeder(self, torrent, pieces, data_dir=None):
        port = free_port()
        st = self.fresh(f"state/{self.name('seed')}")
        p = Proc(self.name("braid-seed"), [self.a.braid, "seed", "--no-dht", "--stun", "none", "--json", "--listen",
                                           f"127.0.0.1:{port}", "--dir", data_dir or os.path.dirname(self.payload),
                                           "--state-dir", st, torrent], self.logs)
        p.addr = f"127.0.0.1:{port}"
        _, obj = p.wait_json(lambda o: o.get("type") == "resume", self.check_timeout)
        if obj.get("valid") != pieces:
            raise RuntimeError(f"braid seeder verified {obj.get('valid')} of {pieces} pieces")
        return p

    # ---- one leecher ---------------------------------------------------
    def leech(self, client, torrent, seeders, dial_files=(), seeder_procs=(), payload=None):
        """Runs one leecher against seeders (addresses); returns the
        finished Proc and whether its data (payload: a file or a tree) is
        complete and correct."""
        payload = payload or self.payload
        for s in seeder_procs:
            if s.poll() is not None:
                raise RuntimeError(f"seeder {s.name} exited with status {s.rc}; see {s.log.name}")
        self.quiet(seeder_procs)
        d = self.fresh("leech")
        port = free_port()
        listen = f"127.0.0.1:{port}"
        name = self.name(client)
        cwd = None
        if client == "braid":
            argv = [self.a.braid, "download", "--no-dht", "--stun", "none", "--quiet", "--json", "--listen", "127.0.0.1:0",
                    "--dir", d, "--state-dir", self.fresh(f"state/{name}")]
            for s in seeders:
                argv += ["--peer", s]
            argv.append(torrent)
            if self.strace_to:
                argv = stracesum.prefix(self.strace_to) + argv
        elif client == "libtorrent":
            argv = [PY, os.path.join(HERE, "lt.py"), "leech", torrent, d, "--listen", listen]
            for s in seeders:
                argv += ["--peer", s]
        elif client == "aria2":
            argv = ["aria2c", "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
                    "--enable-peer-exchange=false", "--disable-ipv6=true", "--interface=127.0.0.1",
                    f"--listen-port={port}", "--seed-time=0", "--file-allocation=falloc",
                    "--check-integrity=false", "--bt-hash-check-seed=false", "--summary-interval=0",
                    "--console-log-level=warn", "--dir", d, torrent]
        elif client == "transmission":
            cfg = self.fresh(f"trcfg/{name}")
            with open(os.path.join(cfg, "settings.json"), "w") as f:
                json.dump({"dht-enabled": False, "lpd-enabled": False, "pex-enabled": False,
                           "utp-enabled": False, "port-forwarding-enabled": False,
                           "ratio-limit-enabled": False, "speed-limit-up-enabled": False,
                           "speed-limit-down-enabled": False, "encryption": 0,
                           "start-added-torrents": True, "message-level": 1,
                           "peer-limit-per-torrent": 100, "peer-limit-global": 200,
                           "bind-address-ipv4": "127.0.0.1", "rpc-enabled": False,
                           "peer-port": port}, f)
            argv = ["transmission-cli", "-g", cfg, "-w", d, "-p", str(port), "-M", "-D", "-U", "-et",
                    "-f", os.path.join(HERE, "tr_done.sh"), torrent]
        elif client == "anacrolix":
            argv = [self.a.anacrolix, "download", "--no-dht", "--no-port-forward", "--no-pex",
                    "--no-utp-peers", "--no-ipv6", "--no-webtorrent", "--no-progress", "--no-verify",
                    "--addr", listen]
            for s in seeders:
                argv += ["--test-peer", s]
            argv.append(torrent)
            cwd = d
        else:
            raise ValueError(client)
        busy0 = procs.machine_busy()
        p = Proc(name, argv, self.logs, cwd=cwd, timed=True)
        note = ""
        try:
            if client in ("aria2", "transmission"):
                # They are reached by the seeders dialling them: aria2 has no
                # option to dial a peer, Transmission ignores loopback peers.
                # Dial only once they listen: libtorrent backs off from a
                # refused address.
                wait_listening(port, 30)
                for df in dial_files:
                    with open(df, "w") as f:
                        f.write(listen + "\n")
            p.wait(self.dl_timeout)
        except Timeout as e:
            note = str(e)
            p.stop()
        p.busy = procs.machine_busy() - busy0
        for df in dial_files:
            open(df, "w").close()
        out = os.path.join(d, os.path.basename(payload))
        ok = not note and same_file(payload, out)
        if ok and client != "transmission" and p.rc != 0:  # Transmission is stopped by its hook
            ok, note = False, f"exit status {p.rc}"
        if not ok and not note:
            note = "data missing or different"
        shutil.rmtree(d, ignore_errors=True)
        os.sync()
        return p, ok, note

    def strace_leech(self, scenario, torrent, seeders, seeder_procs=(), payload=None, attach_to=None):
        """With --strace: one more Braid download under `strace -f -c`, not
        recorded; the Braid seeder attach_to is traced through it too."""
        if not self.a.strace:
            return
        out = os.path.join(self.logs, f"strace-{scenario}.txt")
        log(f"  {scenario}: one more Braid run under strace -f -c")
        st = None
        if attach_to:
            st = stracesum.attach(attach_to, out + ".seeder", self.logs, self.name(f"strace-{scenario}-seeder"))
            time.sleep(0.5)
        self.strace_to = out
        try:
            p, ok, note = self.leech("braid", torrent, seeders, seeder_procs=seeder_procs, payload=payload)
            try:  # a Braid left behind by a strace stopped on a timeout
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        finally:
            self.strace_to = None
            stracesum.detach(st)
        if not ok:
            log(f"  {scenario}: the run under strace failed: {note}")
        self.straces[scenario] = stracesum.summary(out)
        if attach_to:
            self.straces[f"{scenario}-seeder"] = stracesum.summary(out + ".seeder")

    def row(self, scenario, client, piece, run, p, ok, note, size=None, **extra):
        secs = p.wall
        if client == "braid" and scenario != "upload":
            for _, line in p.tail(50):
                if '"complete"' in line:
                    try:
                        extra["fetched"] = json.loads(line).get("fetched", 0)
                    except ValueError:
                        pass
        self.record(scenario=scenario, client=client, piece=piece, run=run, ok=ok, note=note,
                    seconds=secs, mbps=(size or self.size) / secs / 1e6 if ok else 0.0, cpu=p.cpu(),
                    rss_mib=p.peak_rss_mib(), other_cpu=p.busy - p.cpu() - extra.get("seeder_cpu", 0.0),
                    **extra)

    # ---- scenarios -----------------------------------------------------
    def download_and_upload(self):
        for piece in (MiB, 256 << 10):
            torrent = self.torrent(piece)
            pieces = -(-self.size // piece)
            seed = self.lt_seeder(torrent, "dl")
            seed.wait_json(lambda o: o.get("type") == "ready", 60)
            log(f"1 download, {human(piece)} pieces, libtorrent seeder at {seed.addr}")
            for run in range(1, self.runs + 1):
                for c in self.leechers:
                    c0 = seed.cpu()
                    p, ok, note = self.leech(c, torrent, [seed.addr], [seed.dial], [seed])
                    self.row("download", c, piece, run, p, ok, note, seeder_cpu=seed.cpu() - c0)
            if piece == MiB:
                self.strace_leech("download", torrent, [seed.addr], seeder_procs=[seed])
            bseed = self.braid_seeder(torrent, pieces)
            log(f"2 upload, {human(piece)} pieces: Braid seeder at {bseed.addr} vs libtorrent seeder")
            for run in range(1, self.runs + 1):
                for name, s in (("braid", bseed), ("libtorrent", seed)):
                    c0 = s.cpu()
                    p, ok, note = self.leech("libtorrent", torrent, [s.addr], seeder_procs=[s])
                    self.row("upload", name, piece, run, p, ok, note, seeder_cpu=s.cpu() - c0,
                             seeder_rss_mib=s.peak_rss_mib(), leecher_cpu=p.cpu())
            for s in (bseed, seed):
                s.stop()
        v2.download_v2(self)

    def smallfiles_run(self):
        n = 300 if self.smoke else 4000
        src = self.fresh("small")
        tree = os.path.join(src, "many")
        log(f"7 smallfiles: writing {n} files of 1 B to 48 KiB")
        out = subprocess.run([self.a.smallfiles, "-n", str(n), "-max", str(48 << 10), "-seed", "1", tree],
                             check=True, capture_output=True, text=True).stdout
        self.small = json.loads(out)
        subprocess.run(["sh", "-c", 'find "$1" -type f -exec cat {} + >/dev/null', "sh", tree], check=True)
        torrent = os.path.join(self.work, "many.torrent")
        made = subprocess.run([PY, os.path.join(HERE, "lt.py"), "create", torrent, tree, "--v1-only"],
                              check=True, capture_output=True, text=True).stdout
        self.small.update(json.loads(made.splitlines()[-1]))
        seed = self.lt_seeder(torrent, "small", data_dir=src)
        try:
            seed.wait_json(lambda o: o.get("type") == "ready", 60)
            for run in range(1, self.runs + 1):
                for c in ("braid", "libtorrent", "aria2"):
                    c0 = seed.cpu()
                    p, ok, note = self.leech(c, torrent, [seed.addr], [seed.dial], seeder_procs=[seed], payload=tree)
                    self.row("smallfiles", c, 0, run, p, ok, note, size=self.small["bytes"],
                             seeder_cpu=seed.cpu() - c0)
            self.strace_leech("smallfiles", torrent, [seed.addr], seeder_procs=[seed], payload=tree)
        finally:
            seed.stop()

    def swarm(self, n=20):
        piece = MiB
        torrent = self.torrent(piece)
        log(f"3 swarm: starting {n} libtorrent seeders")
        seeds = [self.lt_seeder(torrent, f"sw{i}") for i in range(n)]
        try:
            for s in seeds:
                s.wait_json(lambda o: o.get("type") == "ready", 120)
            addrs = [s.addr for s in seeds]
            for run in range(1, self.runs + 1):
                for c in ("braid", "libtorrent"):
                    c0 = sum(s.cpu() for s in seeds)
                    p, ok, note = self.leech(c, torrent, addrs, seeder_procs=seeds)
                    self.row("swarm", c, piece, run, p, ok, note, seeder_cpu=sum(s.cpu() for s in seeds) - c0)
            self.strace_leech("swarm", torrent, addrs, seeder_procs=seeds)
        finally:
            for s in seeds:
                s.stop(grace=3)

    def verify(self):
        piece = MiB
        torrent = self.torrent(piece)
        pieces = -(-self.size // piece)
        vdir = self.fresh("verify")
        copy = os.path.join(vdir, os.path.basename(self.payload))
        shutil.copyfile(self.payload, copy)
        os.sync()
        subprocess.run(["cat", copy], stdout=subprocess.DEVNULL, check=True)
        log(f"4 verify, {human(piece)} pieces, complete data in the page cache, no resume data")
        clients = ["braid", "libtorrent", "aria2"] + (["anacrolix"] if self.a.anacrolix else [])
        for run in range(1, self.runs + 1):
            for c in clients:
                for f in os.listdir(vdir):  # leftovers (.aria2, .torrent.db) would skip the check
                    if f != os.path.basename(copy):
                        path = os.path.join(vdir, f)
                        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
                self.verify_one(c, torrent, vdir, pieces, run)
            lim = subprocess.run([self.a.sha1limit, "-piece", str(piece), copy], capture_output=True,
                                 text=True, timeout=self.check_timeout)
            for line in lim.stdout.splitlines():
                o = json.loads(line)
                self.limits.append(o)
                self.record(scenario="verify", client=f"sha1-{o['workers']}", piece=piece, run=run, ok=True,
                            note="", seconds=o["seconds"], mbps=o["mbps"], cpu=0.0, rss_mib=0.0)
            v2.verify_v2(self, vdir, copy, run)
        if not same_file(self.payload, copy):
            self.failures.append("verify: a client changed the data it verified")

    def verify_one(self, c, torrent, vdir, pieces, run, scenario="verify"):
        name = self.name(f"verify-{c}")
        note, secs = "", 0.0
        self.quiet()
        busy0 = procs.machine_busy()
        if c == "braid":
            p = Proc(name, [self.a.braid, "seed", "--no-dht", "--stun", "none", "--json", "--listen", "127.0.0.1:0", "--dir", vdir,
                            "--state-dir", self.fresh(f"state/{name}"), torrent], self.logs, timed=True)
            try:
                secs, obj = p.wait_json(lambda o: o.get("type") == "resume", self.check_timeout)
                if obj.get("valid") != pieces:
                    note = f"{obj.get('valid')} of {pieces} pieces valid"
            except Timeout as e:
                note = str(e)
            p.stop()
        elif c == "libtorrent":
            p = Proc(name, [PY, os.path.join(HERE, "lt.py"), "recheck", torrent, vdir, "--listen",
                            f"127.0.0.1:{free_port()}"], self.logs, timed=True)
            try:
                secs, obj = p.wait_json(lambda o: o.get("type") == "checked", self.check_timeout)
                if obj.get("pieces") != pieces:
                    note = f"{obj.get('pieces')} of {pieces} pieces valid"
                p.wait(15)
            except Timeout as e:
                note = str(e)
            p.stop()
        else:
            if c == "aria2":
                argv = ["aria2c", "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
                        "--enable-peer-exchange=false", "--disable-ipv6=true", "--interface=127.0.0.1",
                        f"--listen-port={free_port()}", "--seed-time=0", "--check-integrity=true",
                        "--bt-hash-check-seed=false", "--summary-interval=0", "--console-log-level=warn",
                        "--dir", vdir, torrent]
                cwd = None
            else:
                argv = [self.a.anacrolix, "download", "--no-dht", "--no-port-forward", "--no-pex", "--no-utp-peers",
                        "--no-ipv6", "--no-webtorrent", "--no-progress", "--verify", "--addr",
                        f"127.0.0.1:{free_port()}", torrent]
                cwd = vdir
            p = Proc(name, argv, self.logs, cwd=cwd, timed=True)
            try:
                p.wait(self.check_timeout)
                secs = p.wall
                if p.rc != 0:
                    note = f"exit status {p.rc}"
            except Timeout as e:
                note = str(e)
                p.stop()
        ok = not note
        self.record(scenario=scenario, client=c, piece=MiB, run=run, ok=ok, note=note, seconds=secs,
                    mbps=self.size / secs / 1e6 if ok and secs else 0.0, cpu=p.cpu(), rss_mib=p.peak_rss_mib(),
                    other_cpu=procs.machine_busy() - busy0 - p.cpu())

    def scale_run(self):
        n, idle, cycles, churn = (100, "3s", 1, 20) if self.smoke else (1000, "60s", 3, 100)
        log(f"5 scale: {n} torrents seeding idle for {idle}, then {cycles} churn cycles of {churn}")
        d = self.fresh("scale")
        p = Proc(self.name("scale"), [self.a.scale, "-n", n, "-idle", idle, "-cycles", cycles, "-churn", churn,
                                      "-dir", d], self.logs)
        try:
            _, obj = p.wait_json(lambda o: "torrents" in o, 600)
            p.wait(30)
            self.scale = obj
            log(f"  scale: {json.dumps(obj)}")
        except Timeout as e:
            self.failures.append(f"scale: {e}")
            p.stop()
        shutil.rmtree(d, ignore_errors=True)

    def browser_run(self):
        """Scenario 6: one bench/browser.mjs process runs every interleaved
        browser transfer and writes its results as JSON."""
        log(f"6 browser: Braid and WebTorrent in headless Chromium, {human(self.browser_size)}, {self.runs} run(s)")
        self.quiet()
        out = os.path.join(self.work, "browser.json")
        logs = os.path.join(self.logs, "browser")
        os.makedirs(logs, exist_ok=True)
        if os.path.exists(out):
            os.remove(out)
        n_mib = self.browser_size / MiB
        timeout = 240 + self.runs * 5 * (90 + 4 * n_mib)  # five transfers per run
        p = Proc(self.name("browser"), [os.path.join(ROOT, "scripts", "netns.sh"), "node",
                                        os.path.join(HERE, "browser.mjs"), "--size", f"{self.browser_size // 1024}KiB",
                                        "--runs", self.runs, "--out", out, "--logs", logs], self.logs, cwd=ROOT)
        try:
            rc = p.wait(timeout)
        except Timeout:
            p.stop()
            raise
        for t, line in p.tail(12):
            log(f"  {line}")
        if not os.path.exists(out):
            raise RuntimeError(f"bench/browser.mjs exited {rc} without results (logs in {logs})")
        with open(out) as f:
            self.browser = json.load(f)
        self.failures += [f"browser: {x}" for x in self.browser["failures"]]
        if rc != 0 and not self.browser["failures"]:
            self.failures.append(f"browser: bench/browser.mjs exited {rc}")
        self.browser["ceiling"] = {}
        for key, src, like in (("node", "node", "none"), ("node-wt", "node", "webtorrent"), ("browser", "browser", "none")):
            c = self.rtc_ceiling(key, src, like, logs)
            if c:
                self.browser["ceiling"][key] = c

    def rtc_ceiling(self, key, src, like, logs):
        """The bare data channel into headless Chromium from Node's wrtc (the
        WebTorrent seeder's stack) or from a second Chromium, with no
        BitTorrent: the line the browser clients run under. like="webtorrent"
        sends in the WebTorrent seeder's pattern (a header message and a
        data message per block, 64 KiB buffered, a request back per block)."""
        out = os.path.join(self.work, f"ceiling-{key}.json")
        if os.path.exists(out):
            os.remove(out)
        self.quiet()
        n_mib = max(1, self.browser_size // MiB)
        p = Proc(self.name(f"ceiling-{key}"), [os.path.join(ROOT, "scripts", "netns.sh"), "node",
                                               os.path.join(HERE, "rtc-ceiling.mjs"), "--from", src, "--like", like,
                                               "--size", f"{n_mib}MiB", "--messages", "16384", "--runs", self.runs,
                                               "--out", out], self.logs, cwd=ROOT)
        try:
            rc = p.wait(120 + self.runs * (60 + 4 * n_mib))
        except Timeout:
            p.stop()
            self.failures.append(f"browser: bench/rtc-ceiling.mjs --from {src} --like {like} timed out")
            return None
        for t, line in p.tail(6):
            log(f"  {line}")
        if rc != 0 or not os.path.exists(out):
            self.failures.append(f"browser: bench/rtc-ceiling.mjs --from {src} --like {like} exited {rc} (logs in {logs})")
            return None
        with open(out) as f:
            return json.load(f)

    # ---- report --------------------------------------------------------
    def machine(self):
        cpu = "unknown"
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) / (1 << 20)

        def out(argv):
            try:
                return subprocess.run(argv, capture_output=True, text=True, timeout=20).stdout.strip()
            except (OSError, subprocess.SubprocessError):
                return "?"
        commit = out(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
        if out(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]):
            commit += " (with uncommitted changes)"
        return {
            "nproc": os.cpu_count(), "cpu": cpu, "mem_gib": round(mem, 1), "kernel": os.uname().release,
            "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "commit": commit,
            "go": out(["go", "version"]).replace("go version ", ""),
            "libtorrent": out([PY, "-c", "import libtorrent; print(libtorrent.__version__)"]),
            "aria2": out(["aria2c", "--version"]).splitlines()[0] if out(["aria2c", "--version"]) else "?",
            "transmission": out(["transmission-cli", "--version"]) or "transmission-cli 3.00",
            "anacrolix": self.a.anacrolix_version if self.a.anacrolix else "not built",
        }

    def summary(self):
        groups = {}
        for r in self.results:
            groups.setdefault((r["scenario"], r["client"], r.get("piece", 0)), []).append(r)
        out = {}
        for k, rs in groups.items():
            ok = [r for r in rs if r["ok"]]
            s = {"runs": len(rs), "ok": len(ok)}
            for f in ("seconds", "mbps", "cpu", "rss_mib", "seeder_cpu", "seeder_rss_mib", "leecher_cpu", "other_cpu",
                      "first_s", "median_s", "ratio"):
                vals = [r[f] for r in ok if f in r]
                if vals:
                    s[f] = (statistics.median(vals), min(vals), max(vals))
            out[k] = s
        return out




def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--size", default="1GiB")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--braid", required=True)
    ap.add_argument("--sha1limit", required=True)
    ap.add_argument("--scale", required=True)
    ap.add_argument("--smallfiles", required=True, help="the bench/smallfiles generator")
    ap.add_argument("--daemonload", required=True, help="the bench/daemonload generator")
    ap.add_argument("--daemon-torrents", type=int, default=0, help="torrents in the daemon scenario (default 2000; 50 smoke)")
    ap.add_argument("--anacrolix", default="")
    ap.add_argument("--anacrolix-version", default="")
    ap.add_argument("--scenarios", default="download,swarm,verify,scale,browser,smallfiles,crowd,pair,daemon")
    ap.add_argument("--browser-size", default="", help="torrent size of the browser scenario")
    ap.add_argument("--crowd-size", default="", help="torrent size of the crowd scenario (default 256MiB; 16MiB smoke)")
    ap.add_argument("--crowd-leechers", type=int, default=0, help="leechers in the crowd scenario (default 30; 6 smoke)")
    ap.add_argument("--strace", action="store_true",
                    help="one more Braid run per scenario under strace -f -c, summarised in the report")
    ap.add_argument("--quiet-wait", type=float, default=30.0,
                    help="seconds to wait before each run for other work to pause (0: never)")
    a = ap.parse_args()
    if a.runs < 1 or a.runs > 50:
        ap.error("--runs: 1..50")
    if not 0 <= a.crowd_leechers <= 200:
        ap.error("--crowd-leechers: 1..200 (0: the default)")
    if a.daemon_torrents and not 3 <= a.daemon_torrents <= 20000:
        ap.error("--daemon-torrents: 3..20000 (0: the default)")

    def on_signal(sig, _):
        procs.stop_all()
        sys.exit(128 + sig)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    b = Bench(a)
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.monotonic()
    m = {}
    try:
        m["load_start"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        sc = a.scenarios.split(",")
        unknown = set(sc) - {"download", "swarm", "verify", "scale", "browser", "smallfiles", "crowd", "pair", "daemon", "v2"}
        if unknown:
            ap.error(f"--scenarios: unknown {','.join(sorted(unknown))}")
        if set(sc) & {"download", "swarm", "verify", "pair", "v2"}:
            b.make_payload()
        steps = [("download", b.download_and_upload), ("swarm", b.swarm), ("verify", b.verify),
                 ("scale", b.scale_run), ("browser", b.browser_run), ("smallfiles", b.smallfiles_run),
                 ("crowd", lambda: crowd.crowd_run(b)), ("pair", lambda: crowd.pair_run(b)),
                 ("daemon", lambda: daemon.daemon_run(b)),
                 # The v2 rows alone, when neither scenario that holds them runs.
                 ("v2", lambda: None if set(sc) & {"download", "verify"} else v2.run_alone(b))]
        for name, fn in steps:
            if name not in sc:
                continue
            try:
                fn()
            except (Timeout, RuntimeError, subprocess.SubprocessError, OSError) as e:
                b.failures.append(f"{name}: {e}")
                log(f"{name} FAILED: {e}")
                procs.stop_all()
    finally:
        procs.stop_all()
    took = time.monotonic() - t0
    m.update(b.machine())
    summ = b.summary()
    tl, md = report(b, summ, m, started, took)
    os.makedirs(a.out, exist_ok=True)
    md += kept_notes(os.path.join(a.out, "PERFORMANCE.md"))
    with open(os.path.join(a.out, "PERFORMANCE.md"), "w") as f:
        f.write(md)
    chart.write(os.path.join(a.out, "performance.svg"), b, summ)
    raw = os.path.join(a.out if a.smoke else tempfile.gettempdir(), "braid-bench-results.json")
    with open(raw, "w") as f:
        json.dump({"machine": m, "size": b.size, "runs": b.runs, "results": b.results, "scale": b.scale,
                   "browser": b.browser, "crowd": b.crowd, "daemon": b.daemon, "straces": b.straces, "failures": b.failures}, f, indent=1)
    print(f"\nBraid benchmark: {human(b.size)}, {b.runs} run(s) per row, {took:.0f} s, load {m['load_start']} → {m['load']}\n")
    print("\n".join(tl))
    print("\nTargets:\n" + "\n".join(targets(b, summ)))
    print(f"\nwrote {os.path.join(a.out, 'PERFORMANCE.md')}, performance.svg; raw results {raw}")
    if b.failures:
        print("\nFAILURES:\n  " + "\n  ".join(b.failures), file=sys.stderr)
        print(f"logs: {b.logs}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
