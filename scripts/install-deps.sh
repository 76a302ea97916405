#!/usr/bin/env bash
# Installs the system packages Switchyard builds against when they are missing:
# libzmq (ZeroMQ 4.3, with CURVE), OpenBLAS, pkg-config, and protoc for the proto staleness check.
# Debian/Ubuntu: apt-get (one `apt-get update` first). macOS: Homebrew.
set -euo pipefail

debian_packages=(libzmq3-dev libopenblas-dev pkg-config protobuf-compiler)

if command -v apt-get >/dev/null 2>&1; then
    missing=()
    for package in "${debian_packages[@]}"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    if ((${#missing[@]})); then
        echo "install-deps: installing ${missing[*]}"
        sudo_cmd=""
        if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
        $sudo_cmd apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
elif command -v brew >/dev/null 2>&1; then
    for package in zeromq openblas pkg-config protobuf; do
        brew list "$package" >/dev/null 2>&1 || brew install "$package"
    done
else
    echo "install-deps: neither apt-get nor brew found; install libzmq (4.3+), OpenBLAS and pkg-config yourself" >&2
    exit 1
fi

if ! pkg-config --exists libzmq; then
    echo "install-deps: libzmq is still missing (pkg-config libzmq fails)" >&2
    exit 1
fi
if ! command -v swift >/dev/null 2>&1; then
    echo "install-deps: no swift on PATH; install Swift 6.1 or newer from swift.org" >&2
    exit 1
fi
