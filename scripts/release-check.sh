#!/usr/bin/env bash
# Checks a `make release-snapshot` in dist/: every archive and package is
# there and in the checksums file, the Linux binary runs `version`, and the
# .deb installs with dpkg, puts a working /usr/bin/clilogin in place and is
# removed again, leaving the machine as it was. Needs root for dpkg.
set -euo pipefail
cd "$(dirname "$0")/.."
arch=$(go env GOARCH)
fail() { echo "release-check: error: $*" >&2; exit 1; }

sums=$(ls dist/*_checksums.txt 2>/dev/null) || fail "no checksums file in dist/ (run make release-snapshot)"
for want in linux_amd64.tar.gz linux_arm64.tar.gz darwin_amd64.tar.gz darwin_arm64.tar.gz windows_amd64.zip \
            linux_amd64.deb linux_arm64.deb linux_amd64.rpm linux_arm64.rpm; do
  f=$(ls dist/clilogin_*_"$want" 2>/dev/null) || fail "dist/clilogin_*_$want is missing"
  grep -q " $(basename "$f")\$" "$sums" || fail "$(basename "$f") is not in $(basename "$sums")"
done
(cd dist && sha256sum --quiet -c "$(basename "$sums")") || fail "a checksum does not match"

# The archive's binary runs and says which build it is.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
tar -xzf dist/clilogin_*_linux_"$arch".tar.gz -C "$tmp"
out=$("$tmp/clilogin" version)
echo "archive: $out"
[[ $out =~ ^clilogin\ [0-9]+\.[0-9]+\.[0-9]+.*\(commit\ [0-9a-f]+,\ built\ [0-9T:-]+Z ]] || fail "archive version line: $out"

# The .deb declares its browser and installs.
deb=$(ls dist/clilogin_*_linux_"$arch".deb)
dpkg-deb -f "$deb" Recommends | grep -q chromium || fail "the .deb does not recommend chromium"
rpm_file=$(ls dist/clilogin_*_linux_"$arch".rpm)
if command -v rpm >/dev/null; then
  rpm -qp --recommends "$rpm_file" 2>/dev/null | grep -q chromium || fail "the .rpm does not recommend chromium"
fi
[[ $(id -u) == 0 ]] || { echo "release-check: not root: the .deb install is not tried"; exit 0; }
if dpkg -s clilogin >/dev/null 2>&1; then fail "a clilogin package is already installed; not touching it"; fi
trap 'dpkg -r clilogin >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
dpkg -i "$deb" >/dev/null
out=$(/usr/bin/clilogin version)
echo "deb: $out"
[[ $out == "$("$tmp/clilogin" version)" ]] || fail "the installed binary is not the archive's: $out"
dpkg -r clilogin >/dev/null
[[ ! -e /usr/bin/clilogin ]] || fail "/usr/bin/clilogin is left after dpkg -r"
echo "release-check: ok"
