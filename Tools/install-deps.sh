#!/usr/bin/env bash
# Installs the Debian packages the build, the tools and the interop tests need, when missing.
set -euo pipefail
packages=(zlib1g-dev liblz4-dev libsnappy-dev libzstd-dev librdkafka-dev kcat pkg-config openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  printf '\n==> installing %s\n' "${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
