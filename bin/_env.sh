# Sourced by bin/run and bin/test: make sure .venv holds the locked dependencies.
# Needs only python3.11 on PATH (or PYTHON=...). uv lives in its own small venv (.tools) so that
# `uv sync` never uninstalls the tool that is running it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      # The real interpreter, not a pyenv shim: uv compares paths and would rebuild .venv on every run.
      PYTHON="$("$candidate" -c 'import sys; print(sys.executable)')"; break
    fi
  done
fi
[ -n "$PYTHON" ] || { echo "chainmap needs Python 3.11 (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
UV_VERSION="0.13.9"
if [ ! -x .tools/bin/uv ]; then
  echo "==> installing uv into .tools"
  "$PYTHON" -m venv .tools
  .tools/bin/pip install --quiet --disable-pip-version-check "uv==${UV_VERSION}"
fi
export UV_PYTHON="$PYTHON"
export UV_PROJECT_ENVIRONMENT="$ROOT/.venv"
.tools/bin/uv sync --frozen --quiet
export PATH="$ROOT/.venv/bin:$PATH"
