# The two quick-start commands: `make demo` and `make test`.
.PHONY: demo test build bench-plan bench-pack

build:
	go build -o bin/lambdas ./cmd/lambdas

# From a fresh clone to a working release of examples/ against a local AWS emulator.
demo:
	bash scripts/demo.sh

# Every test: Go unit, golden and CLI tests, apply tests against the AWS
# emulator (started by the tests), and the example functions' own tests.
test:
	bash scripts/test.sh

bench-plan:
	bash bench/plan/run.sh

bench-pack:
	bash bench/pack/run.sh
