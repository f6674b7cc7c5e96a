"""`strace -f -c` summaries for the benchmark (BENCH_STRACE=1): one more
Braid run per scenario, not timed, whose system calls the report lists.
A process the benchmark starts is wrapped (prefix); a running seeder is
attached to by all its threads and detached with SIGTERM, on which strace
writes its summary."""
import os

from procs import Proc, Timeout

TOP = 8


def prefix(out):
    return ["strace", "-f", "-c", "-o", out]


def attach(proc, out, logs, name):
    """Starts strace on every thread of proc's measured process."""
    pid = proc.child()
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except (OSError, TypeError):
        return None
    argv = ["strace", "-f", "-c", "-o", out]
    for t in tids:
        argv += ["-p", t]
    return Proc(name, argv, logs)


def detach(p):
    """Ends an attached strace; it writes its summary on SIGTERM."""
    if p is None:
        return
    try:
        p.stop(grace=10)
    except Timeout:
        pass


def summary(path):
    """{"total": calls, "errors": errors, "top": [[syscall, calls, errors], ...]}
    from an `strace -c` table, the TOP syscalls by calls; None if there is
    no table."""
    rows, total = [], None
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if len(parts) < 5 or parts[0].startswith(("%", "-")):
            continue
        name = parts[-1]
        nums = parts[3:-1]  # calls [errors]
        try:
            calls = int(nums[0])
            errors = int(nums[1]) if len(nums) > 1 else 0
        except (ValueError, IndexError):
            continue
        if name == "total":
            total = (calls, errors)
        else:
            rows.append([name, calls, errors])
    if total is None:
        return None
    rows.sort(key=lambda r: -r[1])
    return {"total": total[0], "errors": total[1], "top": rows[:TOP]}


def line(what, s):
    """One report line for a summary."""
    if not s:
        return f"`strace -f -c` of {what}: no summary (see the log)."
    calls = ", ".join(f"{n} {c:,}" + (f" ({e:,} failed)" if e else "") for n, c, e in s["top"])
    return f"`strace -f -c` of {what} (one more run, not timed): {s['total']:,} calls; most: {calls}."
