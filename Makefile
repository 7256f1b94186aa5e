# The two set-up commands in the README: `make run` (the site on http://127.0.0.1:8000 with a worker and
# scheduler) and `make test`. Each target only calls a script in scripts/, so the logic lives in one
# place and can be run directly too, e.g. `scripts/test.sh -k outbox`.
.PHONY: run test lint clean distclean

# Extra arguments for pytest: make test ARGS="-k outbox -x"
ARGS ?=

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh $(ARGS)

lint:
	bash scripts/lint.sh

# Removes caches and build leftovers; keeps .venv and var/ (the demo database and sent mail).
clean:
	bash scripts/clean.sh

# Also removes .venv and var/: the next `make run` starts from nothing.
distclean:
	bash scripts/clean.sh --all
