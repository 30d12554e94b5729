"""Helpers shared by the benchmark scripts: peak memory of a process, the CPU's name and docs sections."""

from __future__ import annotations

import platform
import sys
from pathlib import Path


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far [MiB].

    On Linux this is ``VmHWM`` of ``/proc/self/status``: ``ru_maxrss`` would also count
    the parent's RSS at the fork that started this process (Linux keeps it across
    ``exec``).  Elsewhere ``ru_maxrss`` (the parent keeps no large arrays, so the
    inherited value is small).
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 2**20 if sys.platform == "darwin" else r / 1024  # bytes on macOS, KiB on Linux


def write_section(out: Path, section: str, start: str, end: str) -> None:
    """Put ``section`` (which begins with ``start`` and ends with ``end``) into ``out``.

    The text between the markers is replaced; without them the section is appended.
    """
    out = Path(out)
    text = out.read_text(encoding="utf-8") if out.is_file() else "# Benchmarks\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what :mod:`platform` says."""
    try:
        with open("/proc/cpuinfo") as fh:
            return next(ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()
