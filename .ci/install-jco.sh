#!/usr/bin/env bash
# Installs jco (node's WASI 0.2 host, `jco run`) into tests/jco/node_modules
# from tests/jco/package.json and its lock file (`npm ci`: the pinned
# versions of @bytecodealliance/jco and @bytecodealliance/preview2-shim),
# never globally. The adapter's tests under jco (tests/e2e/adapter/jco.rs)
# run tests/jco/node_modules/.bin/jco and skip, saying so, where it is
# missing.
#
# Needs node 20 and npm on PATH and the npm registry; prints one line when
# it installs, nothing when jco is already there at the pinned version.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="$here/tests/jco"
jco="$project/node_modules/.bin/jco"
wanted="$(node -p "require('$project/package.json').dependencies['@bytecodealliance/jco']")"

for program in node npm; do
    command -v "$program" >/dev/null || { echo "install-jco: $program is missing (node 20 and npm are needed)" >&2; exit 1; }
done
if [ -x "$jco" ] && [ "$("$jco" --version 2>/dev/null)" = "$wanted" ]; then
    exit 0
fi
echo "install-jco: installing jco $wanted into tests/jco"
(cd "$project" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
[ "$("$jco" --version)" = "$wanted" ] || { echo "install-jco: jco $wanted still missing" >&2; exit 1; }
