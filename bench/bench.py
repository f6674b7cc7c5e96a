#!/usr/bin/python3
"""Braid's side-by-side benchmark (issue 6). Run it through bench/run.sh,
which builds the binaries and installs the other clients first.

Scenarios, on 127.0.0.1 only, DHT/LSD/UPnP/uTP off everywhere:
  1 download  one libtorrent seeder -> each leecher (Braid, libtorrent, aria2,
              Transmission, anacrolix/torrent), 1 MiB and 256 KiB pieces
  2 upload    a Braid seeder and a libtorrent seeder -> a libtorrent leecher
  3 swarm     20 libtorrent seeders -> a Braid leecher, a libtorrent leecher
  4 verify    re-check of a complete download with no resume data, against
              the SHA-1 limit (crypto/sha1 on one core and on all cores)
  5 scale     1,000 small torrents seeding idle in one Braid client, then
              remove/re-add churn
  6 browser   bench/browser.mjs in a loopback-only network namespace: Braid
              in headless Chromium against WebTorrent's browser build, from
              one WebTorrent seeder in Node and between two browser
              profiles; the bare data channel beside them (bench/
              rtc-ceiling.mjs: no BitTorrent); the size of web/braid.wasm
  7 smallfiles  one libtorrent seeder -> Braid and libtorrent leechers, a
              torrent of many small files in nested folders (bench/
              smallfiles: 4,000 files of 1 B to 48 KiB, about 93 MiB; 300
              in a smoke run) made by libtorrent (v1, pieces span files)
Runs are interleaved (run 1 of every client, then run 2, ...); tables show
the median and the min-max spread.
"""
import argparse
import datetime
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chart  # noqa: E402
import procs  # noqa: E402
from procs import Proc, Timeout  # noqa: E402

PY = "/usr/bin/python3"  # Debian's interpreter: it has the libtorrent module
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MiB = 1 << 20
LEECHERS = ["braid", "libtorrent", "aria2", "transmission", "anacrolix"]
LABEL = {"braid": "Braid", "libtorrent": "libtorrent", "aria2": "aria2",
         "transmission": "Transmission", "anacrolix": "anacrolix/torrent"}


def parse_size(s):
    s = s.strip()
    for suf, mul in (("GiB", 1 << 30), ("MiB", MiB), ("KiB", 1 << 10), ("G", 1 << 30), ("M", MiB), ("K", 1 << 10)):
        if s.endswith(suf):
            return int(float(s[: -len(suf)]) * mul)
    return int(s)


def human(n):
    for unit, mul in (("GiB", 1 << 30), ("MiB", MiB), ("KiB", 1 << 10)):
        if n >= mul and n % mul == 0:
            return f"{n // mul} {unit}"
    return f"{n} B"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
        p = Proc(self.name("braid-seed"), [self.a.braid, "seed", "--no-dht", "--json", "--listen",
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
            argv = [self.a.braid, "download", "--no-dht", "--quiet", "--json", "--listen", "127.0.0.1:0",
                    "--dir", d, "--state-dir", self.fresh(f"state/{name}")]
            for s in seeders:
                argv += ["--peer", s]
            argv.append(torrent)
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
                for c in ("braid", "libtorrent"):
                    c0 = seed.cpu()
                    p, ok, note = self.leech(c, torrent, [seed.addr], seeder_procs=[seed], payload=tree)
                    self.row("smallfiles", c, 0, run, p, ok, note, size=self.small["bytes"],
                             seeder_cpu=seed.cpu() - c0)
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
        if not same_file(self.payload, copy):
            self.failures.append("verify: a client changed the data it verified")

    def verify_one(self, c, torrent, vdir, pieces, run):
        name = self.name(f"verify-{c}")
        note, secs = "", 0.0
        self.quiet()
        busy0 = procs.machine_busy()
        if c == "braid":
            p = Proc(name, [self.a.braid, "seed", "--no-dht", "--json", "--listen", "127.0.0.1:0", "--dir", vdir,
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
        self.record(scenario="verify", client=c, piece=MiB, run=run, ok=ok, note=note, seconds=secs,
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
        timeout = 240 + self.runs * 4 * (90 + 4 * n_mib)
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
            for f in ("seconds", "mbps", "cpu", "rss_mib", "seeder_cpu", "seeder_rss_mib", "leecher_cpu", "other_cpu"):
                vals = [r[f] for r in ok if f in r]
                if vals:
                    s[f] = (statistics.median(vals), min(vals), max(vals))
            out[k] = s
        return out


def fmt_spread(t, digits=2):
    med, lo, hi = t
    if lo == hi:
        return f"{med:.{digits}f}"
    return f"{med:.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})"


def interference(b, scenario):
    """How many cores other work used, on average, during a scenario's
    runs (the machine's busy time minus the measured processes')."""
    cores = [max(r["other_cpu"], 0) / r["seconds"] for r in b.results
             if r["scenario"] == scenario and r["ok"] and "other_cpu" in r and r["seconds"] > 0]
    if not cores:
        return []
    return ["", f"Other work on the machine during these runs: median {statistics.median(cores):.2f} of "
                f"{os.cpu_count()} cores, max {max(cores):.2f}."]


def overfetch(b, scenario):
    """Braid's downloaded bytes beyond the file (duplicate or discarded
    blocks), from the "fetched" count in its completion line."""
    extra = [r["fetched"] / b.size - 1 for r in b.results
             if r["scenario"] == scenario and r["client"] == "braid" and r["ok"] and r.get("fetched")]
    if not extra:
        return []
    return ["", f"Braid fetched {100 * statistics.median(extra):.1f}% more than the file "
                f"(median; max {100 * max(extra):.1f}%): duplicate or discarded blocks."]


SECTION_SCENARIO = {"1": "download", "2": "download", "3": "swarm", "4": "verify", "5": "scale", "6": "browser",
                    "7": "smallfiles"}


def tables(b, summ):
    """The result tables of the scenarios this run measured."""
    chosen = set(b.a.scenarios.split(","))
    sections = []
    for line in all_tables(b, summ):
        if line.startswith("### "):
            sections.append((SECTION_SCENARIO.get(line[4:].split(".")[0]), [line]))
        elif sections:
            sections[-1][1].append(line)
    out = []
    for scenario, lines in sections:
        if scenario in chosen:
            while lines and not lines[-1]:
                lines.pop()
            out += ([""] if out else []) + lines
    return out


def all_tables(b, summ):
    gib = b.size / (1 << 30)
    lines = []
    label = dict(LABEL, **{"sha1-1": "SHA-1 limit, 1 core", f"sha1-{os.cpu_count()}": f"SHA-1 limit, {os.cpu_count()} cores"})

    def get(sc, c, piece):
        return summ.get((sc, c, piece))

    lines += ["### 1. Download from one libtorrent seeder", "",
              "| leecher | piece | ok | wall s | MB/s | CPU s | CPU s/GiB | peak RSS MiB | seeder CPU s |",
              "|---|---|---|---|---|---|---|---|---|"]
    for piece in (MiB, 256 << 10):
        for c in b.leechers:
            s = get("download", c, piece)
            if not s:
                continue
            if not s["ok"]:
                lines.append(f"| {LABEL[c]} | {human(piece)} | 0/{s['runs']} | failed | | | | | |")
                continue
            lines.append(f"| {LABEL[c]} | {human(piece)} | {s['ok']}/{s['runs']} | {fmt_spread(s['seconds'])} | "
                         f"{fmt_spread(s['mbps'], 0)} | {fmt_spread(s['cpu'])} | {s['cpu'][0] / gib:.2f} | "
                         f"{fmt_spread(s['rss_mib'], 0)} | {s['seeder_cpu'][0]:.2f} |")
    lines += overfetch(b, "download") + interference(b, "download")
    lines += ["", "### 2. Upload to a libtorrent leecher", "",
              "| seeder | piece | ok | wall s | MB/s | seeder CPU s | seeder CPU s/GiB | seeder peak RSS MiB | leecher CPU s |",
              "|---|---|---|---|---|---|---|---|---|"]
    for piece in (MiB, 256 << 10):
        for c in ("braid", "libtorrent"):
            s = get("upload", c, piece)
            if not s:
                continue
            if not s["ok"]:
                lines.append(f"| {LABEL[c]} | {human(piece)} | 0/{s['runs']} | failed | | | | | |")
                continue
            lines.append(f"| {LABEL[c]} | {human(piece)} | {s['ok']}/{s['runs']} | {fmt_spread(s['seconds'])} | "
                         f"{fmt_spread(s['mbps'], 0)} | {fmt_spread(s['seeder_cpu'])} | "
                         f"{s['seeder_cpu'][0] / gib:.2f} | {s['seeder_rss_mib'][2]:.0f} | {s['leecher_cpu'][0]:.2f} |")
    lines += interference(b, "upload")
    lines += ["", "### 3. Twenty libtorrent seeders, one leecher (1 MiB pieces)", "",
              "| leecher | ok | wall s | MB/s | CPU s | peak RSS MiB | seeders' CPU s |", "|---|---|---|---|---|---|---|"]
    for c in ("braid", "libtorrent"):
        s = get("swarm", c, MiB)
        if not s:
            continue
        if not s["ok"]:
            lines.append(f"| {LABEL[c]} | 0/{s['runs']} | failed | | | | |")
            continue
        lines.append(f"| {LABEL[c]} | {s['ok']}/{s['runs']} | {fmt_spread(s['seconds'])} | {fmt_spread(s['mbps'], 0)} | "
                     f"{fmt_spread(s['cpu'])} | {fmt_spread(s['rss_mib'], 0)} | {s['seeder_cpu'][0]:.2f} |")
    lines += overfetch(b, "swarm") + interference(b, "swarm")
    lines += ["", "### 4. Resume verify of the complete download (1 MiB pieces, data in the page cache)", "",
              "| verifier | ok | seconds | MB/s | CPU s | peak RSS MiB |", "|---|---|---|---|---|---|"]
    vclients = ["braid", "libtorrent", "aria2", "anacrolix", "sha1-1", f"sha1-{os.cpu_count()}"]
    for c in vclients:
        s = get("verify", c, MiB)
        if not s:
            continue
        if not s["ok"]:
            lines.append(f"| {label[c]} | 0/{s['runs']} | failed | | | |")
            continue
        cpu = "–" if c.startswith("sha1") else fmt_spread(s["cpu"])
        rss = "–" if c.startswith("sha1") else fmt_spread(s["rss_mib"], 0)
        lines.append(f"| {label[c]} | {s['ok']}/{s['runs']} | {fmt_spread(s['seconds'])} | {fmt_spread(s['mbps'], 0)} | "
                     f"{cpu} | {rss} |")
    lines += interference(b, "verify")
    lines += ["", "### 5. Many idle torrents in one Braid client", ""]
    sc = b.scale
    if sc:
        leak_g = sc["goroutines_after_churn"] - sc["goroutines"]
        saved = f"{sc['saved_seconds']:.1f}" if "saved_seconds" in sc else "–"
        lines += ["| torrents | records written s | RSS MiB | peak RSS MiB | goroutines | heap MiB | idle CPU | churn | goroutines after | heap after MiB |",
                  "|---|---|---|---|---|---|---|---|---|---|",
                  f"| {sc['torrents']} × {human(sc['file_bytes'])} | {saved} | {sc['rss_mib']:.1f} | {sc['peak_rss_mib']:.1f} | "
                  f"{sc['goroutines']} | {sc['heap_mib']:.1f} | {sc['idle_cpu_percent']:.2f}% of a core over "
                  f"{sc['idle_seconds']:.0f} s | {sc['churn_cycles']} × {sc['churn_per_cycle']} removed and re-added | "
                  f"{sc['goroutines_after_churn']} ({leak_g:+d}) | {sc['heap_after_churn_mib']:.1f} "
                  f"({sc['heap_after_churn_mib'] - sc['heap_mib']:+.1f}) |"]
    else:
        lines.append("not measured (failed; see the log)")
    lines += ["", "### 6. In the browser (headless Chromium, WebRTC on loopback)", ""] + browser_table(b)
    lines += ["", "### 7. Many small files from one libtorrent seeder", ""] + smallfiles_table(b, summ)
    return lines


def smallfiles_table(b, summ):
    sm = b.small
    if not sm or "pieces" not in sm:
        return ["not measured (failed or not selected; see the log)"]
    lines = [f"{sm['files']:,} files of 1 B to 48 KiB in nested folders, {sm['bytes'] / MiB:.1f} MiB, made by "
             f"libtorrent as a v1 torrent: {sm['pieces']} pieces of {human(sm['piece_length'])}, most spanning "
             "several files.", "",
             "| leecher | ok | wall s | MB/s | CPU s | peak RSS MiB | seeder CPU s | speed ÷ libtorrent |",
             "|---|---|---|---|---|---|---|---|"]
    lt_s = summ.get(("smallfiles", "libtorrent", 0))
    for c in ("braid", "libtorrent"):
        s = summ.get(("smallfiles", c, 0))
        if not s:
            continue
        if not s["ok"]:
            lines.append(f"| {LABEL[c]} | 0/{s['runs']} | failed | | | | | |")
            continue
        ratio = ""
        if c == "braid" and lt_s and lt_s["ok"]:
            ratio = f"{s['mbps'][0] / lt_s['mbps'][0]:.2f}×"
        lines.append(f"| {LABEL[c]} | {s['ok']}/{s['runs']} | {fmt_spread(s['seconds'])} | {fmt_spread(s['mbps'], 0)} | "
                     f"{fmt_spread(s['cpu'])} | {fmt_spread(s['rss_mib'], 0)} | {s['seeder_cpu'][0]:.2f} | {ratio} |")
    return lines + interference(b, "smallfiles")


def browser_table(b):
    br = b.browser
    if not br:
        return ["not measured (failed or not selected; see the log)"]
    lines = [f"A {human(br['size'])} torrent of four files. Each run opens a fresh browser profile per client, which "
             "downloads one torrent per pair, timed in its page from adding the torrent until it holds every byte, "
             "then removes it.", "",
             "| leecher ← seeder | ok | seconds | MiB/s | Braid ÷ WebTorrent |", "|---|---|---|---|---|"]
    for pair in ("node", "browser"):
        bs, ws = br["summary"][f"braid:{pair}"], br["summary"][f"webtorrent:{pair}"]
        ratio = f"{bs['MiBps'][0] / ws['MiBps'][0]:.2f}×" if "MiBps" in bs and "MiBps" in ws else "–"
        for s, r in ((bs, ratio), (ws, "")):
            if "MiBps" not in s:
                lines.append(f"| {s['label']} | {s['ok']}/{s['runs']} | failed | | {r} |")
                continue
            lines.append(f"| {s['label']} | {s['ok']}/{s['runs']} | {fmt_spread(s['seconds'])} | "
                         f"{fmt_spread(s['MiBps'])} | {r} |")
    ceil = br.get("ceiling", {})
    if ceil:
        parts = [f"{c['label']} → Chromium {fmt_spread(c['rows'][0]['MiBps'])} MiB/s"
                 for c in (ceil.get("node"), ceil.get("node-wt"), ceil.get("browser")) if c]
        lines += ["", f"The bare data channel, with no BitTorrent on either side (`bench/rtc-ceiling.mjs`, "
                      f"16 KiB messages, the same size and runs): {'; '.join(parts)}. "
                      "Browser clients run below this line; framed like WebTorrent, the sender sends each block "
                      "as WebTorrent's seeder does (its header and its data as two messages, at most 64 KiB "
                      "buffered) and the page answers each with a request-sized message: the most a leecher "
                      "doing no BitTorrent work gets from that seeder."]
    w = br["wasm"]
    v = br.get("versions", {})
    lines += ["", f"web/braid.wasm: {w['raw'] / MiB:.2f} MiB raw, {w['gzip'] / MiB:.2f} MiB gzipped (gzip -9). "
                  f"Braid {v.get('braid', {}).get('release', '?')}, WebTorrent {v.get('webtorrent', '?')} "
                  "(its browser bundle; the Node seeder is the same version)."]
    return lines


def targets(b, summ):
    """The issue's targets as ratios measured in this run."""
    lines = ["| target | measured | met |", "|---|---|---|"]
    gib = b.size / (1 << 30)

    def med(sc, c, piece, f):
        s = summ.get((sc, c, piece))
        return s[f][0] if s and s["ok"] and f in s else None

    br = med("download", "braid", MiB, "mbps")
    anchors = {c: med("download", c, MiB, "mbps") for c in b.leechers if c != "braid"}
    anchors = {c: v for c, v in anchors.items() if v}
    if br and anchors:
        best = max(anchors, key=anchors.get)
        r = br / anchors[best]
        lines.append(f"| download ≥ fastest anchor (aim 1.5×), 1 MiB pieces | {r:.2f}× {LABEL[best]} "
                     f"({br:.0f} vs {anchors[best]:.0f} MB/s) | {'yes' if r >= 1 else 'no'} |")
    bc, lc = med("download", "braid", MiB, "cpu"), med("download", "libtorrent", MiB, "cpu")
    if bc is not None and lc:
        lines.append(f"| CPU s/GiB ≤ libtorrent's | {bc / gib:.2f} vs {lc / gib:.2f} | {'yes' if bc <= lc else 'no'} |")
    rss = summ.get(("download", "braid", MiB))
    if rss and rss["ok"]:
        peak = max(rss["rss_mib"][2], summ.get(("download", "braid", 256 << 10), rss)["rss_mib"][2])
        lines.append(f"| peak RSS downloading ≤ 64 MiB | {peak:.0f} MiB at {human(b.size)} | {'yes' if peak <= 64 else 'no'} |")
    bv, av = med("verify", "braid", MiB, "mbps"), med("verify", "aria2", MiB, "mbps")
    lim = med("verify", f"sha1-{os.cpu_count()}", MiB, "mbps")
    if bv and av:
        extra = f", {100 * bv / lim:.0f}% of the all-core SHA-1 limit" if lim else ""
        lines.append(f"| verify ≥ 2× aria2 | {bv / av:.2f}× ({bv:.0f} vs {av:.0f} MB/s{extra}) | {'yes' if bv >= 2 * av else 'no'} |")
    sc = b.scale
    if sc:
        lines.append(f"| {sc['torrents']} idle torrents ≤ 200 MiB RSS, < 2% of a core | {sc['rss_mib']:.0f} MiB, "
                     f"{sc['idle_cpu_percent']:.1f}% | {'yes' if sc['rss_mib'] <= 200 and sc['idle_cpu_percent'] < 2 else 'no'} |")
        leak = sc["goroutines_after_churn"] > sc["goroutines"] or sc["heap_after_churn_mib"] > 1.25 * sc["heap_mib"] + 1
        lines.append(f"| churn leaks nothing | goroutines {sc['goroutines']} → {sc['goroutines_after_churn']}, heap "
                     f"{sc['heap_mib']:.1f} → {sc['heap_after_churn_mib']:.1f} MiB | {'no' if leak else 'yes'} |")
    br = b.browser
    if br:
        bs, ws = br["summary"]["braid:node"], br["summary"]["webtorrent:node"]
        if "MiBps" in bs and "MiBps" in ws:
            r = bs["MiBps"][0] / ws["MiBps"][0]
            c = br.get("ceiling", {})
            bare = [f"{what} {c[k]['rows'][0]['MiBps'][0]:.1f}" for k, what in
                    (("node", "bare channel from the seeder's stack"), ("node-wt", "framed like its seeder")) if c.get(k)]
            bare = "; " + ", ".join(bare) if bare else ""
            lines.append(f"| browser ≥ 1.5× WebTorrent from the same seeder | {r:.2f}× ({bs['MiBps'][0]:.1f} vs "
                         f"{ws['MiBps'][0]:.1f} MiB/s at {human(br['size'])}{bare}) | {'yes' if r >= 1.5 else 'no'} |")
        gz = br["wasm"]["gzip"] / MiB
        lines.append(f"| wasm ≤ 3 MiB gzipped | {gz:.2f} MiB | {'yes' if gz <= 3 else 'no'} |")
    if gib < 1:
        lines.append("")
        lines.append(f"(Measured at {human(b.size)}, not the 1 GiB the targets name.)")
    return lines


def report(b, summ, m, started, took):
    tl = tables(b, summ)
    tg = targets(b, summ)
    size_env = "" if b.size == 1 << 30 else f"BENCH_SIZE={b.a.size} "
    runs_env = "" if b.runs == 3 else f"BENCH_RUNS={b.runs} "
    md = [
        "# Braid performance", "",
        f"Measured by `{size_env}{runs_env}make bench`{' (smoke run)' if b.smoke else ''} on "
        f"{started:%Y-%m-%d %H:%M} UTC, taking {took / 60:.0f} min: a {human(b.size)} random file, "
        f"{b.runs} run{'s' if b.runs > 1 else ''} per row, interleaved (one run of every client, then the next); "
        "cells show the median and, in brackets, the min–max spread.",
        "", "![chart](performance.svg)", "",
        "## Machine", "",
        f"- {m['nproc']} cores, {m['cpu']}, {m['mem_gib']} GiB RAM, Linux {m['kernel']}",
        f"- load average at start: {m['load_start']}; at end: {m['load']}; 1-minute load seen after runs: "
        f"{min(r['load1'] for r in b.results):.2f}–{max(r['load1'] for r in b.results):.2f} "
        "(the benchmark's own seeder and leecher make about 1–2; more means other work shared the cores "
        "and shows as spread)" if b.results else "",
        f"- Braid {m['commit']}, {m['go']}; libtorrent {m['libtorrent']} (python3-libtorrent); {m['aria2']}; "
        f"{m['transmission']}; anacrolix/torrent {m['anacrolix']}", "",
        "## Results", "", *tl, "",
        "## Targets from the performance issue", "", *tg, "",
        "## Method", "",
        "- Everything runs on 127.0.0.1 with DHT, local discovery, PEX, UPnP/NAT-PMP and uTP off; no trackers: "
        "leechers are given the seeder's address, and the seeder dials aria2 and Transmission (aria2 cannot "
        "dial a given peer; Transmission ignores loopback peers it learns of).",
        "- Seeders are libtorrent with `high_performance_seed` settings in seed mode (no hashing), one "
        "process for a whole table; the data is in the page cache.",
        "- Wall seconds run from starting the leecher process until it exits with the file complete "
        "(process start-up and shutdown included; Transmission is stopped by its `--finish` hook). "
        "MB/s is 10^6 bytes per second. CPU seconds (user+system) and peak RSS come from the leecher's "
        "`wait4` rusage, so they include its child processes; seeder CPU is read from `/proc`. "
        "Every download is compared byte for byte with the original.",
        "- Before each run the benchmark waits (at most `BENCH_QUIET_WAIT` s) for a second in which other "
        "work keeps less than a quarter of a core busy; under each table, \"other work\" is the machine's "
        "busy CPU time (`/proc/stat`) minus the measured processes', per second of run: on a shared "
        "machine it says how far to trust a row.",
        "- Upload: `braid seed` verifies the data first (not timed), then a libtorrent leecher downloads "
        "from it; the libtorrent seeder row uses the same leecher. Seeder peak RSS includes Braid's verify.",
        "- Verify: a complete copy of the data with no resume data; Braid is timed from start to its "
        "`{\"type\":\"resume\"}` line (`braid seed --json`), libtorrent from start to the end of "
        "`force_recheck`, aria2 (`--check-integrity=true --seed-time=0`) and anacrolix (`--verify`) to exit. "
        "The SHA-1 limit is `bench/sha1limit`: Go's crypto/sha1 over the file piece by piece on 1 and on all cores.",
        "- Scale: `bench/scale` drives the Braid API in one process (the interactive loop cannot turn the "
        "DHT off): small single-file torrents seeding with no peers; RSS from `/proc/self/status`, CPU from "
        "`getrusage` over the idle window, which starts once every torrent seeds and has written its resume "
        "record (\"records written s\": from the first add until then); goroutines and heap in use after a forced GC.",
        "- Browser: `bench/browser.mjs`, in a network namespace holding only loopback "
        "(`scripts/netns.sh`), through the browser tests' harness (`web/e2e/lib`): Braid's WebSocket tracker "
        "signals WebRTC; the Node seeder is WebTorrent with 256 KiB pieces; in the browser pairs WebTorrent "
        "seeds with the piece length Braid's `seed()` chose. Each leecher runs in a fresh Chromium profile "
        "(Braid stores in IndexedDB, WebTorrent in memory), checked byte for byte after timing. "
        "`BENCH_BROWSER_SIZE` sets its size (default: `BENCH_SIZE` up to 64 MiB; 2 MiB in a smoke run). "
        "`bench/rtc-ceiling.mjs` then sends as many bytes over a bare data channel (a sender loop with "
        "back-pressure on `bufferedAmount`, a page that only counts bytes) from Node's `@roamhq/wrtc`, from "
        "Node framed like WebTorrent's seeder (`--like webtorrent`), and from a second Chromium.",
        "- Many small files: `bench/smallfiles` writes the same tree every time (`-seed 1`), `lt.py create "
        "--v1-only` makes the torrent with libtorrent's default piece size, one libtorrent seeder serves it "
        "to Braid and to a libtorrent leecher, and each download is compared with the tree by `diff -r`.",
        "", "## Reproduce", "",
        "```sh",
        "make bench                                  # 1 GiB, 3 runs: writes docs/PERFORMANCE.md and docs/performance.svg",
        "BENCH_SIZE=256MiB BENCH_RUNS=5 make bench   # other sizes (16MiB, 256MiB, 1GiB) and run counts",
        "BENCH_SIZE=16MiB BENCH_RUNS=1 bash bench/run.sh --smoke   # what `make test` runs; output in a temp dir",
        "```", "",
        "`bench/run.sh` installs the Debian packages (python3-libtorrent, aria2, transmission-cli, "
        "mktorrent) with `scripts/install-test-deps.sh` and builds anacrolix/torrent's `cmd/torrent` "
        "v1.59.1 in a scratch module outside this repository (cached under `~/.cache/braid-bench`).", "",
    ]
    return tl, "\n".join(md)


NOTES_MARK = "<!-- Notes below this line are written by hand; make bench keeps them. -->"


def kept_notes(path):
    """The hand-written part of an existing report (from NOTES_MARK on)."""
    try:
        with open(path) as f:
            old = f.read()
    except OSError:
        return ""
    i = old.find(NOTES_MARK)
    return "\n" + old[i:] if i >= 0 else ""


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
    ap.add_argument("--anacrolix", default="")
    ap.add_argument("--anacrolix-version", default="")
    ap.add_argument("--scenarios", default="download,swarm,verify,scale,browser,smallfiles")
    ap.add_argument("--browser-size", default="", help="torrent size of the browser scenario")
    ap.add_argument("--quiet-wait", type=float, default=30.0,
                    help="seconds to wait before each run for other work to pause (0: never)")
    a = ap.parse_args()
    if a.runs < 1 or a.runs > 50:
        ap.error("--runs: 1..50")

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
        unknown = set(sc) - {"download", "swarm", "verify", "scale", "browser", "smallfiles"}
        if unknown:
            ap.error(f"--scenarios: unknown {','.join(sorted(unknown))}")
        if set(sc) & {"download", "swarm", "verify"}:
            b.make_payload()
        steps = [("download", b.download_and_upload), ("swarm", b.swarm), ("verify", b.verify),
                 ("scale", b.scale_run), ("browser", b.browser_run), ("smallfiles", b.smallfiles_run)]
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
                   "browser": b.browser, "failures": b.failures}, f, indent=1)
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
