#!/usr/bin/env bash
# Debian tools the interop and browser tests drive: installed once, skipped when present.
# Chromium is Debian's build (Playwright's own browser download is not used; the browser
# tests point Playwright at /usr/bin/chromium and skip with a reason when it is absent).
set -euo pipefail
need=()
for pair in "mbsync:isync" "swaks:swaks" "curl:curl" "chromium:chromium"; do
    cmd=${pair%%:*}; pkg=${pair##*:}
    command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing test tools: ${need[*]} (install them as root: apt-get install ${need[*]})" >&2
        exit 0
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
