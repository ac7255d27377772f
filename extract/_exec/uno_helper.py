"""LibreOffice kept running, converting documents on request: run by a Python that has
LibreOffice's ``uno`` module (Debian's ``python3-uno``; the project's virtualenv has none).

    python3 uno_helper.py SOFFICE PROFILE_DIR PIPE_NAME

It starts ``soffice --headless`` with its own user profile (``PROFILE_DIR``), listening on a
named pipe, and connects to it. Then it reads one JSON request a line on stdin
(``{"src": ..., "out_dir": ..., "filter": optional import filter}``), lets LibreOffice's type
detection open the file (macros never run, links never update), stores it as OOXML (docx, xlsx
or pptx, by what it opened as) and answers one JSON line on stdout. End of stdin (the parent
closed it, or died) ends LibreOffice and removes the profile. Started in a session of its own by
``extract._exec.soffice``, which kills the whole process group when a conversion outlasts its
time limit.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import uno  # noqa: I001 — LibreOffice's bridge; registers the com.sun.star importer
from com.sun.star.beans import PropertyValue

START_TIMEOUT = 90.0  # seconds LibreOffice may take to accept connections (a fresh profile)
# what LibreOffice opened the file as → (export filter, extension)
TARGETS = (
    ("com.sun.star.sheet.SpreadsheetDocument", "Calc MS Excel 2007 XML", "xlsx"),
    ("com.sun.star.presentation.PresentationDocument", "Impress MS PowerPoint 2007 XML", "pptx"),
    ("com.sun.star.text.TextDocument", "MS Word 2007 XML", "docx"),
)


def _props(**values) -> tuple:
    out = []
    for name, value in values.items():
        prop = PropertyValue()
        prop.Name, prop.Value = name, value
        out.append(prop)
    return tuple(out)


def _reply(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _connect(pipe: str, process: subprocess.Popen):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return context.ServiceManager.createInstanceWithContext(
                "com.sun.star.frame.Desktop", context)
        except Exception:  # noqa: BLE001 — NoConnectException until soffice listens
            if process.poll() is not None:
                raise RuntimeError(f"soffice exited with {process.returncode}") from None
            if time.monotonic() > deadline:
                raise RuntimeError("soffice did not start in time") from None
            time.sleep(0.1)


def _convert(desktop, request: dict) -> dict:
    options = {"Hidden": True, "ReadOnly": True, "MacroExecutionMode": 0, "UpdateDocMode": 0}
    if request.get("filter"):
        options["FilterName"] = request["filter"]
    url = uno.systemPathToFileUrl(os.path.abspath(request["src"]))
    document = desktop.loadComponentFromURL(url, "_blank", 0, _props(**options))
    if document is None:
        return {"ok": False, "error": "LibreOffice could not open it (damaged, "
                "password-protected, or not a document)"}
    try:
        opened_with = next((p.Value for p in document.getArgs() if p.Name == "FilterName"), None)
        target = next((t for t in TARGETS if document.supportsService(t[0])), None)
        if target is None:
            return {"ok": False, "error": f"LibreOffice opened it as {opened_with}, which is "
                    "not a text, spreadsheet or presentation document"}
        _, export_filter, extension = target
        out = os.path.join(request["out_dir"], f"converted.{extension}")
        document.storeToURL(uno.systemPathToFileUrl(out),
                            _props(FilterName=export_filter, Overwrite=True))
        return {"ok": True, "path": out, "format": extension, "import_filter": opened_with}
    finally:
        try:
            document.close(True)
        except Exception:  # noqa: BLE001 — a veto or a dead frame: dispose of it instead
            document.dispose()


def main() -> int:
    soffice, profile, pipe = sys.argv[1:4]
    process = subprocess.Popen(
        [soffice, "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
         "--nolockcheck", f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
         f"-env:UserInstallation={uno.systemPathToFileUrl(profile)}"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        try:
            desktop = _connect(pipe, process)
        except RuntimeError as exc:
            _reply({"ready": False, "error": str(exc)})
            return 1
        _reply({"ready": True, "soffice_pid": process.pid})
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                _reply(_convert(desktop, json.loads(line)))
            except Exception as exc:  # noqa: BLE001 — reported to the parent, per document
                _reply({"ok": False, "error": f"{type(exc).__name__}: {exc}".strip()})
            if process.poll() is not None:
                return 1  # LibreOffice died: the parent starts a new one
        try:
            desktop.terminate()
        except Exception:  # noqa: BLE001 — the bridge goes down with it
            pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        return 0
    finally:
        if process.poll() is None and os.getpgid(0) == os.getpid():
            # our own process group (the parent started us in a session of our own):
            # oosplash and soffice.bin are in it
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            os.killpg(0, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
