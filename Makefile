# Switchyard: two commands on a fresh machine.
#   make run   installs what is missing, builds, and runs the local demo
#   make test  installs what is missing, builds, and runs every test
.PHONY: run test build release deps

deps:
	@scripts/install-deps.sh

build: deps
	swift build

release: deps
	swift build -c release

run: deps
	@scripts/run-demo.sh

test: deps
	@scripts/test.sh
