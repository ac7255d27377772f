"""LibreOffice (``soffice --headless``) converting legacy Office files to OOXML.

Legacy binary files (``.doc``, ``.xls``, ``.ppt``), RTF, ODF and HTML saved as ``.doc``/``.xls``
are converted to docx/xlsx/pptx — not to text — so that every run and cell keeps its font name,
which says how its text is encoded (``normalize.fonts``).

Starting LibreOffice costs 3–6 s, converting a typical file 0.1–0.5 s. So each process keeps one
LibreOffice running (:class:`UnoConverter`, driven over UNO by ``uno_helper.py`` under a Python
that has ``uno``: Debian's python3-uno) and pays the start once; with no such Python,
:class:`CommandConverter` runs ``soffice --convert-to`` once per file. Either way every
LibreOffice has a user profile of its own (parallel workers never share one), every conversion
has a time limit (past it the whole process group is killed and the next conversion starts a
fresh LibreOffice), and profiles and outputs are removed.

    >>> converter = default_converter()                         # doctest: +SKIP
    >>> converter.convert(Path("report.doc"), Path(tmp), "docx")  # doctest: +SKIP
    Converted(path=PosixPath('.../converted.docx'), format='docx', ...)
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from functools import cache
from multiprocessing import util
from pathlib import Path
from typing import Protocol

DEFAULT_TIMEOUT = 180.0  # seconds one conversion may take (a 1.5 MB .doc with images: ~30 s)
DEFAULT_START_TIMEOUT = 120.0  # seconds LibreOffice may take to start (a fresh profile: ~6 s)
UNO_PYTHONS = ("/usr/bin/python3", "/usr/lib/libreoffice/program/python")
HELPER = Path(__file__).with_name("uno_helper.py")


class ConversionError(Exception):
    """LibreOffice could not convert a file (or is missing), said in words a user can act on."""


@dataclass(frozen=True)
class Converted:
    path: Path  # the OOXML file written
    format: str  # "docx", "xlsx" or "pptx"
    import_filter: str | None  # what LibreOffice opened the input as ("MS Word 97", ...)
    seconds: float  # the conversion's wall time (the start of LibreOffice not counted)


class Converter(Protocol):
    """Anything that turns an Office file into OOXML in ``out_dir``: swapped in tests."""

    def convert(self, src: Path, out_dir: Path, target: str,
                import_filter: str | None = None) -> Converted: ...


def soffice_binary() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        raise ConversionError("LibreOffice is not installed (soffice not found); `make setup` "
                              "installs it (Debian: libreoffice-writer-nogui, -calc-nogui, "
                              "-impress-nogui)")
    return found


@cache
def uno_python() -> str | None:
    """A Python that can ``import uno`` (``VNEXTRACT_UNO_PYTHON``, else Debian's), or None."""
    candidates = [os.environ.get("VNEXTRACT_UNO_PYTHON"), *UNO_PYTHONS]
    for python in filter(None, candidates):
        try:
            done = subprocess.run([python, "-c", "import uno"], capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return python
    return None


def _kill_group(process: subprocess.Popen) -> None:
    """Kill a process started in a session of its own, with everything it started."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


class UnoConverter:
    """One LibreOffice kept running for this process, started at its first conversion.

    Not shared across processes: a forked child that finds its parent's converter starts its
    own (``owner`` is the pid that started it). Thread-safe (conversions queue on a lock).
    """

    def __init__(self, timeout: float = DEFAULT_TIMEOUT,
                 start_timeout: float = DEFAULT_START_TIMEOUT, python: str | None = None):
        self.timeout = timeout
        self.start_timeout = start_timeout
        self.python = python
        self.start_seconds: float | None = None  # what the last start of LibreOffice took
        self.starts = 0
        self._process: subprocess.Popen | None = None
        self._profile: str | None = None
        self._buffer = b""
        self._lock = threading.Lock()
        self._owner = os.getpid()
        util.Finalize(self, self.close, exitpriority=10)  # also runs in pool workers

    def convert(self, src: Path, out_dir: Path, target: str,
                import_filter: str | None = None) -> Converted:
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._start()
            assert self._process is not None and self._process.stdin is not None
            started = time.monotonic()
            request = {"src": str(src), "out_dir": str(out_dir), "filter": import_filter}
            try:
                self._process.stdin.write((json.dumps(request) + "\n").encode())
                self._process.stdin.flush()
                reply = self._read(started + self.timeout)
            except (BrokenPipeError, ConversionError) as exc:
                self._stop(kill=True)
                if isinstance(exc, BrokenPipeError):
                    raise ConversionError("LibreOffice stopped unexpectedly") from exc
                raise
            if not reply.get("ok"):
                raise ConversionError(reply.get("error") or "LibreOffice failed")
            return Converted(Path(reply["path"]), reply["format"], reply.get("import_filter"),
                             time.monotonic() - started)

    def close(self) -> None:
        """End LibreOffice (asked first, killed if it lingers) and remove its profile."""
        if os.getpid() == self._owner:
            with self._lock:
                self._stop(kill=False)

    def _start(self) -> None:
        python = self.python or uno_python()
        if python is None:
            raise ConversionError("no Python with LibreOffice's uno module (Debian: "
                                  "python3-uno); set VNEXTRACT_UNO_PYTHON")
        self._stop(kill=True)
        began = time.monotonic()
        self._profile = tempfile.mkdtemp(prefix="vnextract-soffice-")
        pipe = f"vnextract-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._process = subprocess.Popen(
            [python, str(HELPER), soffice_binary(), self._profile, pipe],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            start_new_session=True)
        self._buffer = b""
        try:
            ready = self._read(began + self.start_timeout)
        except ConversionError:
            self._stop(kill=True)
            raise
        if not ready.get("ready"):
            self._stop(kill=True)
            raise ConversionError(f"LibreOffice did not start: {ready.get('error')}")
        self.start_seconds = time.monotonic() - began
        self.starts += 1

    def _read(self, deadline: float) -> dict:
        """One JSON line from the helper, or ConversionError when ``deadline`` passes first."""
        assert self._process is not None and self._process.stdout is not None
        fd = self._process.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ConversionError(f"LibreOffice took longer than {self.timeout:.0f} s")
            readable, _, _ = select.select([fd], [], [], left)
            if readable:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise ConversionError("LibreOffice stopped unexpectedly")
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def _stop(self, kill: bool) -> None:
        process, self._process = self._process, None
        if process is not None:
            if not kill and process.stdin is not None:
                try:
                    process.stdin.close()  # the helper ends LibreOffice and its profile
                    process.wait(timeout=15)
                except (OSError, subprocess.TimeoutExpired):
                    pass
            if process.poll() is None or kill:
                _kill_group(process)
            for stream in (process.stdin, process.stdout):
                if stream is not None and not stream.closed:
                    stream.close()
        if self._profile is not None:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None


class CommandConverter:
    """``soffice --convert-to`` once per file: LibreOffice starts for every file (3–6 s).
    The fallback where no Python has ``uno``; each run has its own profile in ``out_dir``."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT):
        self.timeout = timeout

    def convert(self, src: Path, out_dir: Path, target: str,
                import_filter: str | None = None) -> Converted:
        started = time.monotonic()
        profile = out_dir / "profile"
        converted_dir = out_dir / "converted"
        to = f"{target}:{_EXPORT_FILTERS[target]}"
        command = [soffice_binary(), "--headless", "--norestore", "--nolockcheck",
                   f"-env:UserInstallation={profile.resolve().as_uri()}"]
        if import_filter:
            command.append(f"--infilter={import_filter}")
        command += ["--convert-to", to, "--outdir", str(converted_dir), str(src)]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, err = process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            raise ConversionError(f"LibreOffice took longer than {self.timeout:.0f} s") from None
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        outputs = sorted(converted_dir.glob(f"*.{target}")) if converted_dir.is_dir() else []
        if not outputs:
            detail = err.decode("utf-8", "replace").strip().splitlines()
            raise ConversionError("LibreOffice could not convert it"
                                  + (f": {detail[-1]}" if detail else ""))
        return Converted(outputs[0], target, import_filter, time.monotonic() - started)


_EXPORT_FILTERS = {"docx": "MS Word 2007 XML", "xlsx": "Calc MS Excel 2007 XML",
                   "pptx": "Impress MS PowerPoint 2007 XML"}
_CONVERTERS: dict[int, Converter] = {}


def default_converter() -> Converter:
    """This process's converter: a running LibreOffice where a Python has ``uno``, else one
    ``soffice --convert-to`` per file. Created at the first call in each process."""
    pid = os.getpid()
    if pid not in _CONVERTERS:
        _CONVERTERS.clear()  # a forked child's copy of its parent's: not ours
        _CONVERTERS[pid] = UnoConverter() if uno_python() else CommandConverter()
    return _CONVERTERS[pid]
