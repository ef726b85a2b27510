#!/usr/bin/env bash
# GoReleaser's before hook: writes what the archives and packages carry
# beside the binary into build/extras/: one man page per command
# (manpages/*.1.gz, from the command table, dated by the release's commit so
# that a build is reproducible) and the bash, zsh and fish completions
# (completions/), printed by clilogin itself.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/extras
if [[ -n ${SOURCE_DATE_EPOCH:-} ]]; then
  day=$(date -u -d "@$SOURCE_DATE_EPOCH" +%F)
else
  day=$(git log -1 --format=%cs 2>/dev/null) || { echo "release-extras: error: no commit date (set SOURCE_DATE_EPOCH)" >&2; exit 1; }
fi
rm -rf "$out"
mkdir -p "$out/manpages" "$out/completions"
go run ./internal/gendocs -man "$out/manpages" -date "$day"
gzip -9n "$out"/manpages/*.1
bin=$(mktemp -d); trap 'rm -rf "$bin"' EXIT
CGO_ENABLED=0 go build -o "$bin/clilogin" ./cmd/clilogin
"$bin/clilogin" completion bash >"$out/completions/clilogin.bash"
"$bin/clilogin" completion zsh >"$out/completions/_clilogin"
"$bin/clilogin" completion fish >"$out/completions/clilogin.fish"
