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

# Every archive and package carries the man pages and the completions.
extras=(manpages/clilogin.1.gz manpages/clilogin-login.1.gz manpages/clilogin-token.1.gz
        completions/clilogin.bash completions/_clilogin completions/clilogin.fish)
for a in dist/clilogin_*.tar.gz; do
  list=$(tar -tzf "$a")
  for e in "${extras[@]}"; do grep -qx "$e" <<<"$list" || fail "$(basename "$a") has no $e"; done
done
for a in dist/clilogin_*.zip; do
  list=$(unzip -Z1 "$a")
  for e in "${extras[@]}"; do grep -qx "$e" <<<"$list" || fail "$(basename "$a") has no $e"; done
done
pkgfiles=(/usr/share/man/man1/clilogin.1.gz /usr/share/man/man1/clilogin-token.1.gz
          /usr/share/bash-completion/completions/clilogin /usr/share/zsh/vendor-completions/_clilogin
          /usr/share/fish/vendor_completions.d/clilogin.fish)
for deb in dist/clilogin_*.deb; do
  list=$(dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|')
  for f in "${pkgfiles[@]}"; do grep -qx "$f" <<<"$list" || fail "$(basename "$deb") does not install $f"; done
done
if command -v rpm >/dev/null; then
  for r in dist/clilogin_*.rpm; do
    list=$(rpm -qpl "$r" 2>/dev/null)
    for f in "${pkgfiles[@]}"; do grep -qx "$f" <<<"$list" || fail "$(basename "$r") does not install $f"; done
  done
fi

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
# The man pages and the bash completion, where the system looks for them.
# (Container images often tell dpkg to skip /usr/share/man: path-exclude.)
if grep -qs '^path-exclude=/usr/share/man' /etc/dpkg/dpkg.cfg /etc/dpkg/dpkg.cfg.d/*; then
  fail "dpkg here is told not to install /usr/share/man (path-exclude in /etc/dpkg/dpkg.cfg.d); the man pages cannot be checked"
fi
command -v man >/dev/null || fail "man is not installed (scripts/deps.sh test installs man-db)"
page=$(man -w clilogin) || fail "man -w clilogin finds no page"
[[ $page == /usr/share/man/man1/clilogin.1.gz ]] || fail "man -w clilogin: $page, not the package's"
man -w clilogin-token >/dev/null || fail "man -w clilogin-token finds no page"
echo "deb: man -w clilogin: $page"
# As an interactive bash loads it: bash-completion's loader finds it by name.
[[ -f /usr/share/bash-completion/bash_completion ]] || fail "bash-completion is not installed (scripts/deps.sh test installs it)"
words=$(bash -c 'source /usr/share/bash-completion/bash_completion
  _completion_loader clilogin; complete -p clilogin >&2 || exit 1
  COMP_WORDS=(clilogin lo); COMP_CWORD=1; COMP_LINE="clilogin lo"; COMP_POINT=${#COMP_LINE}
  __start_clilogin clilogin lo clilogin 2>/dev/null; printf "%s\n" "${COMPREPLY[@]}"' 2>"$tmp/complete") ||
  fail "the bash completion does not register for clilogin: $(cat "$tmp/complete")"
echo "deb: $(cat "$tmp/complete")"
# It completes: 'clilogin lo<TAB>' gives login and logout.
grep -qx login <<<"$words" && grep -qx logout <<<"$words" || fail "clilogin lo<TAB> does not complete to login and logout: $words"
dpkg -r clilogin >/dev/null
[[ ! -e /usr/bin/clilogin ]] || fail "/usr/bin/clilogin is left after dpkg -r"
[[ ! -e /usr/share/man/man1/clilogin.1.gz ]] || fail "the man page is left after dpkg -r"
echo "release-check: ok"
