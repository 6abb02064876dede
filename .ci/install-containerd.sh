#!/usr/bin/env bash
# Installs what the containerd shim (shim/, containerd-shim-wasock) needs
# where it is missing: to build it, libseccomp's development files
# (runwasi's libcontainer links libseccomp), protoc (containerd-client's
# build script) and pkg-config; to run its end-to-end test, containerd and
# ctr (Debian's containerd 1.6). Call it before the workspace builds:
# `cargo test --workspace` compiles the shim.
#
# Needs root (apt-get) where something is missing; prints one line per
# package it had to install, and nothing else when all is there.
set -euo pipefail

missing=()
have_lib() { pkg-config --exists "$1" 2>/dev/null; }
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v protoc >/dev/null || missing+=(protobuf-compiler)
if ! command -v pkg-config >/dev/null || ! have_lib libseccomp; then
    missing+=(libseccomp-dev)
fi
if ! command -v containerd >/dev/null || ! command -v ctr >/dev/null; then
    missing+=(containerd)
fi

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-containerd: missing ${missing[*]}, and not root: install them (apt-get install ${missing[*]})" >&2
    exit 1
fi
echo "install-containerd: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# containerd's package may start a system containerd where systemd runs;
# the tests start their own (own root, state and socket), so leave it.
for program in containerd ctr protoc pkg-config; do
    command -v "$program" >/dev/null || { echo "install-containerd: $program still missing" >&2; exit 1; }
done
pkg-config --exists libseccomp || { echo "install-containerd: libseccomp still missing" >&2; exit 1; }
