"""The benchmark's daemon scenario (issue 15): many torrents in one
`braid daemon`, driven over Transmission's RPC, beside transmission-daemon
given the same torrents.

bench/daemonload writes the torrents (95% seeding small files whose data is
in place, the rest downloading from a local libtorrent seeder or from
nobody). For each daemon in turn, alone on the machine:
  add       every torrent by torrent-add with `metainfo`, timed
  settle    until every seeding torrent seeds, every local one has
            downloaded (then the seeder stops) and the rest wait for peers
  memory    VmRSS (and VmHWM) from /proc once settled and idle
  idle CPU  the daemon's user+system time from /proc/PID/stat over a window
  list      torrent-get of every torrent's list fields, N calls on one
            keep-alive connection: median and p95 ms, in the table format
            (rpc-version 17) and the object format
  restart   SIGTERM, start again, until every torrent is back in the status
            it had (seeding ones seeding) with the files unchanged
"""
import base64
import filecmp
import hashlib
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

import procs
from common import free_port
from procs import Proc, Timeout

# The list fields a client such as transmission-remote -l or a web UI asks for.
LIST_FIELDS = ["id", "name", "status", "error", "errorString", "eta", "isFinished", "isStalled", "leftUntilDone",
               "metadataPercentComplete", "peersConnected", "peersGettingFromUs", "peersSendingToUs", "percentDone",
               "queuePosition", "rateDownload", "rateUpload", "recheckProgress", "seedRatioMode", "seedRatioLimit",
               "sizeWhenDone", "totalSize", "uploadRatio", "uploadedEver", "labels", "downloadDir"]
STATUS_SEED = 6
DAEMONS = ("braid", "transmission")


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class RPC:
    """A Transmission RPC client on one keep-alive connection."""

    def __init__(self, port, timeout=60):
        self.port, self.timeout, self.sid, self.conn = port, timeout, "", None

    def call(self, method, **args):
        """Returns (arguments, seconds, response bytes); raises on an error."""
        body = json.dumps({"method": method, "arguments": args}).encode()
        for _ in range(3):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            t0 = time.monotonic()
            try:
                self.conn.request("POST", "/transmission/rpc", body, {"X-Transmission-Session-Id": self.sid,
                                                                       "Content-Type": "application/json"})
                r = self.conn.getresponse()
                data = r.read()
            except (OSError, http.client.HTTPException):
                self.close()
                raise
            secs = time.monotonic() - t0
            if r.status == 409:
                self.sid = r.getheader("X-Transmission-Session-Id", "")
                continue
            if r.status != 200:
                raise RuntimeError(f"rpc {method}: HTTP {r.status}: {data[:200]!r}")
            obj = json.loads(data)
            if obj.get("result") != "success":
                raise RuntimeError(f"rpc {method}: {obj.get('result')}")
            return obj.get("arguments", {}), secs, len(data)
        raise RuntimeError(f"rpc {method}: no session id after three tries")

    def wait_up(self, proc, timeout):
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{proc.name} exited with status {proc.rc}; see {proc.log.name}")
            try:
                return self.call("session-get")
            except (OSError, http.client.HTTPException):
                if time.monotonic() > deadline:
                    raise Timeout(f"{proc.name}: RPC not up after {timeout:.0f} s")
                time.sleep(0.05)

    def close(self):
        if self.conn:
            self.conn.close()
        self.conn = None


def proc_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def pct(vals, q):
    s = sorted(vals)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def files_state(d):
    """Size and mtime of every file in d, and a digest of their bytes."""
    h, meta = hashlib.sha256(), {}
    for name in sorted(os.listdir(d)):
        p = os.path.join(d, name)
        st = os.stat(p)
        meta[name] = (st.st_size, st.st_mtime_ns)
        with open(p, "rb") as f:
            h.update(f.read())
    return meta, h.hexdigest()


class Daemon:
    """One daemon (braid or transmission) over a work folder of its own."""

    def __init__(self, b, kind, work):
        self.b, self.kind, self.work = b, kind, work
        self.rpc_port, self.peer_port = free_port(), free_port()
        self.state = os.path.join(work, "state")
        self.dl = os.path.join(work, "dl")
        os.makedirs(self.dl)
        os.makedirs(self.state)
        self.rpc = RPC(self.rpc_port)
        self.p = None
        self.said = time.monotonic()
        if kind == "transmission":
            with open(os.path.join(self.state, "settings.json"), "w") as f:
                json.dump({"rpc-enabled": True, "rpc-bind-address": "127.0.0.1", "rpc-port": self.rpc_port,
                           "rpc-authentication-required": False, "rpc-whitelist-enabled": True,
                           "rpc-whitelist": "127.0.0.1", "rpc-host-whitelist-enabled": False,
                           "bind-address-ipv4": "127.0.0.1", "bind-address-ipv6": "::1", "peer-port": self.peer_port,
                           "peer-port-random-on-start": False, "dht-enabled": False, "lpd-enabled": False,
                           "pex-enabled": False, "utp-enabled": False, "port-forwarding-enabled": False,
                           "download-dir": self.dl, "incomplete-dir-enabled": False, "watch-dir-enabled": False,
                           "download-queue-enabled": False, "seed-queue-enabled": False,
                           "queue-stalled-enabled": False, "ratio-limit-enabled": False,
                           "idle-seeding-limit-enabled": False, "start-added-torrents": True,
                           "speed-limit-up-enabled": False, "speed-limit-down-enabled": False,
                           "message-level": 1, "peer-limit-global": 1000, "peer-limit-per-torrent": 50}, f)

    def argv(self):
        if self.kind == "braid":
            return [self.b.a.braid, "daemon", "--rpc", f"127.0.0.1:{self.rpc_port}",
                    "--listen", f"127.0.0.1:{self.peer_port}", "--no-dht", "--no-lsd", "--no-port-mapping", "--no-utp",
                    "--no-webrtc", "--stun", "none", "--dir", self.dl, "--state-dir", self.state,
                    "--config", os.path.join(self.work, "settings.json")]
        return ["transmission-daemon", "-f", "-g", self.state]

    def start(self):
        self.rpc.close()
        self.p = Proc(self.b.name(f"daemon-{self.kind}"), self.argv(), self.b.logs)
        self.rpc.wait_up(self.p, 60)
        return self.p

    def get(self, fields, table=False):
        args = {"fields": fields}
        if table:
            args["format"] = "table"
        out, secs, size = self.rpc.call("torrent-get", **args)
        ts = out.get("torrents", [])
        if table and ts:
            head = ts[0]
            ts = [dict(zip(head, row)) for row in ts[1:]]
        return ts, secs, size

    def wait_statuses(self, want, timeout, what):
        """Polls torrent-get until every hash in want has its status
        (a set of allowed codes); returns the last list."""
        deadline = time.monotonic() + timeout
        while True:
            if self.p.poll() is not None:
                raise RuntimeError(f"{self.p.name} exited with status {self.p.rc} while {what}")
            ts, _, _ = self.get(["hashString", "status", "percentDone", "error", "errorString"])
            by = {t["hashString"]: t for t in ts}
            missing = [h for h, ok in want.items() if h not in by or by[h]["status"] not in ok]
            if not missing:
                return ts
            for h in missing:  # stopped on a local error: nothing starts it again
                t = by.get(h, {})
                if t.get("status") == 0 and t.get("error") == 3 and 0 not in want[h]:
                    raise RuntimeError(f"{self.kind}: {len(missing)} of {len(want)} torrents not ready {what}; "
                                       f"{h} stopped: {t.get('errorString')}")
            if time.monotonic() > self.said + 10:
                self.said = time.monotonic()
                log(f"  daemon {self.kind}: {len(missing)} of {len(want)} torrents not ready {what}")
            if time.monotonic() > deadline:
                t = by.get(missing[0], {})
                raise Timeout(f"{self.kind}: {len(missing)} of {len(want)} torrents not ready {what} after "
                              f"{timeout:.0f} s (first: {missing[0]} {t})")
            time.sleep(0.2)


def daemon_run(b):
    n = b.daemon_torrents
    local = none = max(1, n // 40)
    seed = n - local - none
    idle, calls = (5, 10) if b.smoke else (30, 30)
    src = b.fresh("daemon")
    log(f"10 daemon: {n} torrents ({seed} seeding, {local} from a local seeder, {none} from nobody); "
        f"idle window {idle} s, {calls} torrent-get calls")
    out = subprocess.run([b.a.daemonload, "-dir", src, "-seed", str(seed), "-local", str(local), "-none", str(none)],
                         check=True, capture_output=True, text=True, timeout=600).stdout
    b.daemon = {"shape": json.loads(out), "idle_window": idle, "calls": calls}
    torrents = {}
    for kind in ("seed", "local", "none"):
        d = os.path.join(src, "torrents", kind)
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), "rb") as f:
                torrents[name] = (kind, base64.b64encode(f.read()).decode())
    data = os.path.join(src, "data")
    before = files_state(data)
    for kind in DAEMONS:
        if kind == "transmission" and not shutil.which("transmission-daemon"):
            b.failures.append("daemon: transmission-daemon is missing (scripts/install-test-deps.sh installs it)")
            continue
        r = b.daemon[kind] = {"torrents": len(torrents)}  # filled as it goes: a failure keeps what was measured
        try:
            one(b, kind, src, torrents, idle, calls, r)
        except (Timeout, RuntimeError, OSError, http.client.HTTPException, ValueError, KeyError) as e:
            r["failed"] = str(e)
            b.failures.append(f"daemon {kind}: {e}")
            log(f"  daemon {kind} FAILED: {e}")
        finally:
            procs.stop_all()
        log(f"  daemon {kind}: {json.dumps(r)}")
        if files_state(data) != before:
            b.failures.append(f"daemon {kind}: the seeding torrents' files changed")
    shutil.rmtree(src, ignore_errors=True)


def one(b, kind, src, torrents, idle, calls, r):
    d = Daemon(b, kind, b.fresh(f"daemon-{kind}"))
    data = os.path.join(src, "data")
    b.quiet()
    seeder = b.lt_seeder(os.path.join(src, "torrents", "local"), f"daemon-{kind}", data_dir=os.path.join(src, "seeder"))
    try:
        seeder.wait_json(lambda o: o.get("type") == "ready", 120)
        d.start()
        d.rpc.call("session-set", **{"download-queue-enabled": False, "seed-queue-enabled": False})
        t0 = time.monotonic()
        want, ms = {}, []
        for name, (k, meta) in torrents.items():
            out, secs, _ = d.rpc.call("torrent-add", metainfo=meta, **{"download-dir": data if k == "seed" else d.dl})
            ms.append(1000 * secs)
            added = out.get("torrent-added")
            if not added:
                raise RuntimeError(f"torrent-add {name}: {out}")
            want[added["hashString"]] = {STATUS_SEED} if k != "none" else {3, 4}
            if len(ms) % 500 == 0:
                log(f"  daemon {kind}: {len(ms)} added, {time.monotonic() - t0:.1f} s")
        r["add_s"] = time.monotonic() - t0
        r["add_ms"] = [statistics.median(ms), pct(ms, 0.95), ms[-1]]
        log(f"  daemon {kind}: {len(ms)} added in {r['add_s']:.1f} s (torrent-add median {r['add_ms'][0]:.1f} ms, "
            f"p95 {r['add_ms'][1]:.1f}, last {r['add_ms'][2]:.1f})")
        # The seeder dials only now: a peer refused for a torrent not yet
        # added is one libtorrent gives up on.
        with open(seeder.dial, "w") as f:
            f.write(f"127.0.0.1:{d.peer_port}\n")
        d.wait_statuses(want, 120 + len(torrents) / 4, "settling")
        r["settle_s"] = time.monotonic() - t0
        log(f"  daemon {kind}: settled {r['settle_s']:.1f} s after the first add")
    finally:
        open(seeder.dial, "w").close()
        seeder.stop(grace=3)
    for name in os.listdir(os.path.join(src, "seeder")):
        if not filecmp.cmp(os.path.join(src, "seeder", name), os.path.join(d.dl, name), shallow=False):
            raise RuntimeError(f"{name}: downloaded bytes differ from the seeder's")
    time.sleep(2)  # the seeder's connections close
    c0, t1 = d.p.cpu(), time.monotonic()
    time.sleep(idle)
    r["idle_cpu_percent"] = 100 * (d.p.cpu() - c0) / (time.monotonic() - t1)
    r["rss_mib"], r["hwm_mib"] = proc_kib(d.p.pid, "VmRSS") / 1024, proc_kib(d.p.pid, "VmHWM") / 1024
    for fmt in ("table", "object"):
        if fmt == "table" and kind == "transmission":
            continue  # Transmission 3.00 speaks rpc-version 16: no table format
        ms, size = [], 0
        for _ in range(calls):
            ts, secs, size = d.get(LIST_FIELDS, table=fmt == "table")
            if len(ts) != len(torrents):
                raise RuntimeError(f"torrent-get ({fmt}) listed {len(ts)} of {len(torrents)} torrents")
            ms.append(1000 * secs)
        r[f"get_{fmt}_ms"] = [statistics.median(ms), pct(ms, 0.95)]
        r[f"get_{fmt}_kib"] = size / 1024
    ts, _, _ = d.get(["hashString", "status"])
    status = {t["hashString"]: {t["status"]} for t in ts}
    t0 = time.monotonic()
    rc = d.p.stop(grace=60)
    r["stop_s"] = time.monotonic() - t0
    if rc != 0:
        raise RuntimeError(f"{kind} daemon exited {rc} on SIGTERM")
    t1 = time.monotonic()
    d.start()
    d.wait_statuses(status, 120 + len(torrents) / 4, "after the restart")
    now = time.monotonic()
    r["back_s"], r["restart_s"] = now - t1, now - t0
    d.p.stop(grace=60)
