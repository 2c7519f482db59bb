#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the console's browser test
# (cmd/deploytrail/console_browser_test.go), installing it with apt-get
# (as root, or through sudo) when missing. Prints nothing on success when
# it is there already.
set -euo pipefail

have() { command -v chromium >/dev/null || command -v chromium-browser >/dev/null; }

have && exit 0
command -v apt-get >/dev/null || { echo "chromium.sh: Chromium is missing and there is no apt-get; install Debian's chromium" >&2; exit 1; }
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
echo "chromium.sh: installing chromium" >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >&2 ||
	{ "${sudo[@]}" apt-get update -q >&2 && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >&2; }
have || { echo "chromium.sh: chromium is still not on PATH" >&2; exit 1; }
