# Sourced by the shell suites. A suite whose tools are missing fails, naming the Debian packages
# to install (`source .ci/deps.sh; rollout_install_deps` installs them all): it never skips.
require() {  # require TOOL:PACKAGE...
  local spec missing=()
  for spec in "$@"; do
    command -v "${spec%%:*}" >/dev/null || missing+=("${spec%%:*} (apt-get install ${spec#*:})")
  done
  ((${#missing[@]} == 0)) && return 0
  echo "FAIL: missing tools: ${missing[*]}" >&2
  exit 1
}
