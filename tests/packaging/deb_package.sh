#!/usr/bin/env bash
# The install tree and the .deb, from the current build directory (no rebuild): `cpack -G DEB`
# gives rollout_<version>_<arch>.deb with the files where Debian's tools look for them and
# Depends on the libraries the binary links; the unpacked package runs, validates its shipped
# plans and shows its man page; `cmake --install` to a prefix lays out the same files.
# Usage: deb_package.sh ROLLOUT SRC BUILD_DIR
set -u
rollout=$1
src=$2
build=$3
. "$src/tests/require.sh"
require cpack:cmake dpkg-deb:dpkg dpkg-shlibdeps:dpkg-dev man:man-db groff:groff-base gzip:gzip readelf:binutils \
  jq:jq
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect() {  # expect NAME COMMAND...: the command exits 0
  local name=$1 out; shift
  if out=$("$@" 2>&1); then ok; else bad "$name: exit $?"; echo "$out" | head -20; fi
}
expect_contains() {  # expect_contains NAME NEEDLE TEXT
  if grep -qF -- "$2" <<<"$3"; then ok; else bad "$1: '$2' not in: $(head -c 600 <<<"$3")"; fi
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

version=$("$rollout" version -o json | jq -r .version)
arch=$(dpkg --print-architecture)
# The compressed man page is an ALL target; make sure it is there without building anything else.
cmake --build "$build" --target rollout_man >/dev/null

# The files every install has, relative to the prefix.
installed=(bin/rollout share/bash-completion/completions/rollout share/zsh/vendor-completions/_rollout
           share/fish/vendor_completions.d/rollout.fish share/man/man1/rollout.1.gz
           share/doc/rollout/plan-reference.md share/doc/rollout/plans/schema.json
           share/doc/rollout/plans/inferencepool-blue-green.yaml)
check_tree() {  # check_tree WHAT ROOT: the files of an install under ROOT
  local what=$1 root=$2 f
  for f in "${installed[@]}"; do
    if [[ -f $root/$f ]]; then ok; else bad "$what: no $f"; fi
  done
  if [[ $(ls "$root/bin") == rollout ]]; then ok; else bad "$what: bin/ holds $(ls "$root/bin" | tr '\n' ' ')"; fi
  expect "$what: the bash completion is the committed one" cmp "$root/share/bash-completion/completions/rollout" \
    "$src/completions/rollout.bash"
  expect "$what: the zsh completion is the committed one" cmp "$root/share/zsh/vendor-completions/_rollout" \
    "$src/completions/_rollout"
  expect "$what: the fish completion is the committed one" cmp "$root/share/fish/vendor_completions.d/rollout.fish" \
    "$src/completions/rollout.fish"
  expect "$what: the man page is gzip" gzip -t "$root/share/man/man1/rollout.1.gz"
  expect "$what: the man page is docs/rollout.1" cmp <(gzip -dc "$root/share/man/man1/rollout.1.gz") "$src/docs/rollout.1"
  expect_contains "$what: man renders the page" "EXIT STATUS" \
    "$(MANWIDTH=100 man -l "$root/share/man/man1/rollout.1.gz" 2>&1)"
  if readelf -S "$root/bin/rollout" | grep -q '\.debug_info'; then bad "$what: bin/rollout is not stripped"; else ok; fi
  expect_contains "$what: rollout version runs" "rollout $version" "$("$root/bin/rollout" version 2>&1)"
  expect "$what: the shipped plans validate" "$root/bin/rollout" plan validate "$root"/share/doc/rollout/plans/*.yaml
  expect "$what: the bash completion loads" bash -c "source '$root/share/bash-completion/completions/rollout' && complete -p rollout"
}

# The .deb.
if cpack -G DEB -B "$work/deb" --config "$build/CPackConfig.cmake" >"$work/cpack.log" 2>&1; then ok; else
  bad "cpack -G DEB failed"; cat "$work/cpack.log"
fi
deb=$work/deb/rollout_${version}_${arch}.deb
if [[ -f $deb ]]; then ok; else bad "no $(basename "$deb"): $(ls "$work/deb")"; fi
contents=$(dpkg-deb -c "$deb")
for f in "${installed[@]}"; do expect_contains "the .deb holds /usr/$f" "./usr/$f" "$contents"; done
if grep -vqE ' \./usr/' <<<"$contents"; then bad "files outside /usr: $(grep -vE ' \./usr/' <<<"$contents" | head -3)"; else ok; fi
if grep -qE 'rollout_tests|bench_|\.a$' <<<"$contents"; then bad "test or library files in the .deb"; else ok; fi
expect_contains "the binary is 0755" "-rwxr-xr-x root/root" "$(grep ' ./usr/bin/rollout$' <<<"$contents")"
field() { dpkg-deb -f "$deb" "$1"; }
expect_contains "Package" "rollout" "$(field Package)"
expect_contains "Version" "$version" "$(field Version)"
expect_contains "Architecture" "$arch" "$(field Architecture)"
expect_contains "Section" "admin" "$(field Section)"
expect_contains "Maintainer is an address" "@" "$(field Maintainer)"
expect_contains "Description" "rollout orchestrator for LLM inference services" "$(field Description)"
expect_contains "Suggests kubectl" "kubernetes-client" "$(field Suggests)"
depends=$(field Depends)
# What the binary links (ldd: libcurl.so.4, libssl.so.3, ...), as Debian names the packages.
for lib in libc6 libstdc++6 libcurl4 libssl3 libyaml-cpp0.7 libfmt9 libcpp-httplib0.11; do
  expect_contains "Depends lists $lib" "$lib" "$depends"
done
# Every package it depends on is one this machine has, so the package installs where it was built.
for pkg in $(tr ',' '\n' <<<"$depends" | sed 's/(.*//; s/|.*//' | tr -d ' '); do
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then ok; else
    bad "Depends names $pkg, which is not installed here"
  fi
done
dpkg-deb -x "$deb" "$work/root"
check_tree ".deb" "$work/root/usr"
if ldd "$work/root/usr/bin/rollout" | grep -q "not found"; then bad "unresolved libraries: $(ldd "$work/root/usr/bin/rollout" | grep 'not found')"; else ok; fi

# cmake --install to a prefix.
if cmake --install "$build" --prefix "$work/prefix" --strip >"$work/install.log" 2>&1; then ok; else
  bad "cmake --install failed"; cat "$work/install.log"
fi
check_tree "cmake --install" "$work/prefix"

echo "deb_package: $pass passed, $fail failed"
[[ $fail == 0 ]]
