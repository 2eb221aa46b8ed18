#!/usr/bin/env bash
# Runs a local S3 server (versitygw, posix backend on a fresh temp dir) for
# the tests of internal/blob.
#
#   eval "$(bash .ci/s3-server.sh start)"   # prints: export SPORTELLO_TEST_S3=...
#   go test -race ./internal/blob/
#   bash .ci/s3-server.sh stop
#
# Only the export line goes to stdout; progress and errors go to stderr.
# "env" prints the export line again for a server that is running.
# Settings, all optional: SPORTELLO_S3_PORT (7070), SPORTELLO_S3_STATE (the
# directory holding the pid, data and log), VERSITYGW_VERSION (v1.8.0).
set -euo pipefail

version=${VERSITYGW_VERSION:-v1.8.0}
port=${SPORTELLO_S3_PORT:-7070}
state=${SPORTELLO_S3_STATE:-${TMPDIR:-/tmp}/sportello-s3-$port}
access=sportello
secret=sportello-secret
bucket=sportello-test

say() { echo "s3-server: $*" >&2; }

print_env() {
	echo "export SPORTELLO_TEST_S3=http://$access:$secret@127.0.0.1:$port/$bucket"
}

running() {
	[[ -f $state/pid ]] && kill -0 "$(cat "$state/pid")" 2>/dev/null
}

answers() {
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# versitygw_bin prints the path of versitygw at $version, installing it with
# go install if it is missing or at another version.
versitygw_bin() {
	local gobin
	gobin=$(go env GOBIN)
	[[ -n $gobin ]] || gobin="$(go env GOPATH)/bin"
	local bin=$gobin/versitygw
	if [[ -x $bin ]] && go version -m "$bin" 2>/dev/null | awk '$1 == "mod" { print $3 }' | grep -qx "$version"; then
		echo "$bin"
		return
	fi
	say "installing github.com/versity/versitygw/cmd/versitygw@$version"
	go install "github.com/versity/versitygw/cmd/versitygw@$version" >&2
	echo "$bin"
}

start() {
	if running; then
		say "already running (pid $(cat "$state/pid"))"
		print_env
		return
	fi
	if answers; then
		say "something else is listening on 127.0.0.1:$port; set SPORTELLO_S3_PORT"
		exit 1
	fi
	local bin
	bin=$(versitygw_bin)
	rm -rf "$state"
	mkdir -p "$state/data"
	# setsid keeps the server out of the caller's process group, so it
	# outlives this script and a Ctrl-C in the caller's shell; the inner
	# shell records its own pid and then becomes versitygw, so the pid file
	# names the server even where setsid has to fork.
	# shellcheck disable=SC2016 # $$, $0 and $@ belong to the inner shell
	setsid bash -c 'echo $$ >"$0/pid"; exec "$@"' "$state" \
		"$bin" --port "127.0.0.1:$port" --access "$access" --secret "$secret" --quiet \
		posix "$state/data" >"$state/log" 2>&1 </dev/null &
	for _ in $(seq 50); do
		[[ -s $state/pid ]] && break
		sleep 0.1
	done
	for _ in $(seq 100); do
		if answers; then
			say "versitygw $version on 127.0.0.1:$port (pid $(cat "$state/pid")), data in $state/data"
			print_env
			return
		fi
		if ! running; then
			say "versitygw exited; its log:"
			cat "$state/log" >&2
			exit 1
		fi
		sleep 0.1
	done
	say "versitygw did not answer on 127.0.0.1:$port within 10s; its log:"
	cat "$state/log" >&2
	stop
	exit 1
}

stop() {
	if [[ -f $state/pid ]]; then
		local pid
		pid=$(cat "$state/pid")
		if kill "$pid" 2>/dev/null; then
			for _ in $(seq 100); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			say "stopped pid $pid"
		fi
	fi
	rm -rf "$state"
}

case ${1:-} in
start) start ;;
stop) stop ;;
env)
	running || { say "not running"; exit 1; }
	print_env
	;;
*)
	echo "usage: bash $0 start|stop|env" >&2
	exit 2
	;;
esac
