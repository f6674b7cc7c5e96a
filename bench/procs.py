"""Child processes for the benchmark: started in their own process group,
stdout read line by line with arrival times, CPU and peak memory read from
wait4's rusage at exit (or /proc while running), and always stopped at the
end, by process-group id."""
import json
import os
import signal
import subprocess
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
_live = set()


def machine_busy():
    """CPU seconds the whole machine has spent busy (all cores), from
    /proc/stat: compared with the measured processes' CPU it shows how much
    other work shared the machine during a run."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (v + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


class Timeout(Exception):
    pass


class Proc:
    def __init__(self, name, argv, logdir, cwd=None, env=None, timed=False):
        """timed runs argv under GNU time for its peak RSS: rusage from
        wait4 cannot give it, because Linux carries the forking parent's
        (this Python's) peak RSS across exec into the child's."""
        self.name = name
        self.argv = [str(a) for a in argv]
        self.timefile = None
        if timed:
            self.timefile = os.path.join(logdir, f"{name}.time")
            self.argv = ["/usr/bin/time", "-f", "%e %U %S %M", "-o", self.timefile] + self.argv
        self.log = open(os.path.join(logdir, f"{name}.log"), "ab", buffering=0)
        self.log.write(("$ " + " ".join(self.argv) + "\n").encode())
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(self.argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=self.log, start_new_session=True)
        self.pid = self.p.pid
        _live.add(self)
        self.lines = []
        self.eof = False
        self.cv = threading.Condition()
        self.rc = None
        self.exit_t = None
        self.rusage = None
        self.exited = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._reap, daemon=True).start()

    def _reap(self):
        """Blocks in wait4 so the exit time is exact and nothing polls."""
        _, status, ru = os.wait4(self.pid, 0)
        self.exit_t = time.monotonic()
        self.rusage = ru
        self.rc = os.waitstatus_to_exitcode(status)
        self.p.returncode = self.rc  # reaped here, not by Popen
        _live.discard(self)
        self.exited.set()

    def _read(self):
        for raw in self.p.stdout:
            t = time.monotonic()
            self.log.write(raw)
            with self.cv:
                self.lines.append((t, raw.decode(errors="replace").strip()))
                self.cv.notify_all()
        with self.cv:
            self.eof = True
            self.cv.notify_all()

    def wait_json(self, pred, timeout):
        """Waits for a stdout line that is a JSON object matching pred;
        returns (seconds since start, object)."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self.cv:
            while True:
                while seen < len(self.lines):
                    t, line = self.lines[seen]
                    seen += 1
                    try:
                        obj = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(obj, dict) and pred(obj):
                        return t - self.t0, obj
                if self.eof:
                    raise Timeout(f"{self.name}: exited before the expected line")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Timeout(f"{self.name}: no expected line within {timeout:.0f} s")
                self.cv.wait(min(left, 0.5))

    def poll(self):
        return self.rc if self.exited.is_set() else None

    def wait(self, timeout):
        if not self.exited.wait(timeout):
            raise Timeout(f"{self.name}: still running after {timeout:.0f} s")
        return self.rc

    @property
    def wall(self):
        return (self.exit_t or time.monotonic()) - self.t0

    def cpu(self):
        """User+system CPU seconds so far (its own threads)."""
        if self.exited.is_set():
            return self.rusage.ru_utime + self.rusage.ru_stime
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / CLK_TCK
        except (OSError, IndexError, ValueError):
            return 0.0

    def child(self):
        """The measured process: GNU time's child when timed."""
        if not self.timefile:
            return self.pid
        try:
            with open(f"/proc/{self.pid}/task/{self.pid}/children") as f:
                kids = f.read().split()
            return int(kids[0]) if kids else None
        except (OSError, ValueError):
            return None

    def peak_rss_mib(self):
        """Peak resident set of the measured process: GNU time's %M once
        it has exited, VmHWM from /proc while it runs."""
        if self.exited.is_set():
            if not self.timefile:
                return 0.0  # not measurable (see __init__)
            try:
                with open(self.timefile) as f:
                    return int(f.read().split()[-1]) / 1024
            except (OSError, ValueError, IndexError):
                return 0.0
        pid = self.child()
        if pid is None:
            return 0.0
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def reset_peak(self):
        """Starts the measured process's peak RSS (VmHWM) afresh, so a
        seeder serving several runs reports each run's peak: Linux resets
        it on "5" written to /proc/PID/clear_refs."""
        pid = self.child()
        if pid is None:
            return
        try:
            with open(f"/proc/{pid}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            pass

    def stop(self, grace=10):
        """SIGTERM to the process group, SIGKILL after grace seconds."""
        if self.poll() is not None:
            return self.rc
        if self.timefile:
            # Signal the measured process alone first, so GNU time lives
            # to write its figures.
            pid = self.child()
            if pid:
                try:
                    os.kill(pid, signal.SIGTERM)
                    return self.wait(grace)
                except (ProcessLookupError, Timeout):
                    pass
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                return self.wait(wait)
            except Timeout:
                continue
        return self.rc

    def tail(self, n=5):
        """The last n stdout lines with their arrival times."""
        with self.cv:
            return list(self.lines[-n:])


def stop_all():
    for p in list(_live):
        try:
            p.stop(grace=3)
        except Exception:  # noqa: BLE001 — cleanup must go on
            pass
