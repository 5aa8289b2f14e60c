#!/usr/bin/env bash
# Create or refresh <repo>/.venv with tests/servers/requirements.txt.
# Idempotent: a stamp file in .venv holds the sha256 of requirements.txt; pip is skipped when it matches.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="$repo/.venv"
req="$here/requirements.txt"
stamp="$venv/.davkit-servers-requirements.sha256"
python="${PYTHON:-python3}"

want="$(sha256sum "$req" | cut -d' ' -f1)"

if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "setup-venv: $venv up to date (requirements ${want:0:12})"
    exit 0
fi

start=$(date +%s)
created=""
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
    created="created, "
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
echo "setup-venv: ${created}installed requirements into $venv in $(( $(date +%s) - start )) s"
