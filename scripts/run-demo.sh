#!/usr/bin/env bash
# The README's run command: builds Switchyard and shows it working on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product switchyard
bin="$(swift build -c release --show-bin-path)/switchyard"
"$bin" doctor
