#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests in e2e/, unless
# /usr/bin/chromium is already there. Safe to run again: a second run does
# nothing.
#
#   bash .ci/browser.sh
#   SPORTELLO_TEST_BROWSER=1 go test -race ./e2e/
#
# Needs root (CI containers run as root) or sudo. Nothing downloads its own
# browser here: Debian's package is the one the tests drive.
set -euo pipefail

bin=/usr/bin/chromium

say() { echo "browser: $*" >&2; }

if [[ -x $bin ]]; then
	say "$("$bin" --version 2>/dev/null || echo "$bin") already installed"
	exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
	command -v sudo >/dev/null || { say "need root or sudo to install chromium"; exit 1; }
	sudo=(sudo)
fi

# apt's chatter goes to a log, shown only when a step fails.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
quietly() {
	if ! "$@" >"$log" 2>&1; then
		say "failed: $*"
		cat "$log" >&2
		exit 1
	fi
}

# env passes DEBIAN_FRONTEND through sudo, which drops the caller's.
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq)
say "installing Debian's chromium"
quietly "${apt[@]}" update
quietly "${apt[@]}" install -y --no-install-recommends chromium

if [[ ! -x $bin ]]; then
	say "chromium installed but $bin is missing"
	exit 1
fi
say "$("$bin" --version 2>/dev/null) installed"
