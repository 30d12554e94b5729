"""The run log written beside a command's outputs: what was run, with which gepcalc, on which files.

``gepcalc.log`` in the output folder records the command line, gepcalc's and Python's versions, the
time (UTC), the profile, and every input file with its size and SHA-256: the configuration file, and
each file it names (land cover, regions, input rasters, lines, tables, included TOML files, a
project's or portfolio's own files), found by following the strings of the TOML files that exist as
files relative to the file that names them.  So an account handed on can be checked against the
exact inputs that made it.
"""

from __future__ import annotations

import hashlib
import platform
import shlex
import sys
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gepcalc._version import __version__
from gepcalc.io import write_text

LOG_NAME = "gepcalc.log"


def sha256(path: Path, block: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def input_files(config: Path | None, extra: Iterable[Path | str] = ()) -> list[Path]:
    """The configuration file and every file it names (recursively through TOML files), in order."""
    seen: dict[Path, None] = {}
    todo = [Path(p) for p in ([config] if config else []) + list(extra)]
    while todo:
        path = todo.pop(0).resolve()
        if path in seen or not path.is_file():
            continue
        seen[path] = None
        if path.suffix.lower() != ".toml":
            continue
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        for s in _strings(raw):
            if len(s) > 300 or "\n" in s:
                continue
            p = Path(s) if Path(s).is_absolute() else path.parent / s
            try:
                if p.is_file():
                    todo.append(p)
            except OSError:
                continue
    return list(seen)


def _shown(path: Path) -> str:
    """A path relative to the working directory where it lies below it, else the absolute path."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def log_text(
    command: Sequence[str] | None = None,
    *,
    config: Path | None = None,
    profile: str | None = None,
    extra_inputs: Iterable[Path | str] = (),
    outputs: Iterable[Path | str] = (),
    notes: Iterable[str] = (),
) -> str:
    """The text of ``gepcalc.log`` (see the module docstring)."""
    argv = list(command) if command is not None else ["gepcalc", *sys.argv[1:]]
    lines = [
        "# gepcalc run log",
        f"command: {shlex.join(argv)}",
        f"working directory: {Path.cwd()}",
        f"time (UTC): {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"gepcalc: {__version__}",
        f"python: {platform.python_version()} ({platform.platform()})",
    ]
    if profile:
        lines.append(f"profile: {profile}")
    lines.append("inputs (sha256, bytes, path):")
    for p in input_files(config, extra_inputs):
        lines.append(f"  {sha256(p)}  {p.stat().st_size:>12,d}  {_shown(p)}")
    outs = [Path(o) for o in outputs]
    if outs:
        lines.append("outputs:")
        lines += [f"  {_shown(o)}" for o in outs]
    notes = list(notes)
    if notes:
        lines.append("notes:")
        lines += [f"  {n}" for n in notes]
    return "\n".join(lines) + "\n"


def write_log(folder: Path, **kwargs) -> Path:
    """Write ``gepcalc.log`` into ``folder`` (created where missing); arguments as :func:`log_text`."""
    return write_text(Path(folder) / LOG_NAME, log_text(**kwargs))
