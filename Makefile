# The two commands a newcomer needs: `make run` and `make test`. See README.md.
.PHONY: run test stop install services lint format lock backup backups restore screenshots bench-incidents bench-map bench-intake bench-exports bench-provenance bench-checkpoints bench-hosts

run: install services
	scripts/run.sh

test: install services
	scripts/with-env ruff check .
	scripts/with-env ruff format --check .
	scripts/with-env python manage.py makemigrations --check --dry-run --settings config.settings.test
	scripts/with-env pytest

stop:
	scripts/services.sh stop

install:
	scripts/install.sh

services:
	scripts/services.sh start

# Database backups (README, "Backups and the restore drill"), as the owner role: `make backup` writes one
# to the backups store, `make backups` lists them, `make restore BACKUP=<name or folder>` restores one into
# an EMPTY database (DATABASE=<name> for another database of the same server) and proves the restore.
backup: install services
	scripts/with-env --owner python manage.py backup_database

backups: install services
	scripts/with-env --owner python manage.py backup_database --list

restore: install services
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=<name or folder> [DATABASE=<empty database>]; make backups lists them"; exit 2; }
	scripts/with-env --owner python manage.py restore_database "$(BACKUP)" $(if $(DATABASE),--database "$(DATABASE)")

lint:
	scripts/with-env ruff check .
	scripts/with-env ruff format --check .

format:
	scripts/with-env ruff check --fix .
	scripts/with-env ruff format .

# Re-pin the dependencies after editing requirements/*.in (needs network access to PyPI).
# uv lives in a tool venv of its own, so .venv stays exactly what the lock says.
lock:
	test -x var/tools/bin/uv || (python3 -m venv var/tools && var/tools/bin/pip install --quiet uv)
	var/tools/bin/uv pip compile --python-version 3.11 --generate-hashes --quiet requirements/base.in -o requirements/base.txt
	var/tools/bin/uv pip compile --python-version 3.11 --generate-hashes --quiet requirements/dev.in -o requirements/dev.txt

# The README's pictures of the workspace (docs/screenshots/), taken in headless Chromium with the browser
# tests' fixtures, on a test database of their own.
screenshots: install services
	SLID_TEST_INSTANCE=screenshots scripts/with-env pytest tests/web/screenshots.py -q -p no:cacheprovider

# Benchmarks (opt-in, minutes long); results are recorded in docs/performance.md. They run as the
# owner role: each makes a database of its own, migrates it and loads it in bulk.
bench-incidents: install services
	scripts/with-env --owner python bench/incidents.py --rows 1000000

bench-map: install services
	scripts/with-env --owner python bench/map.py --rows 1000000

bench-intake: install services
	scripts/with-env --owner python bench/intake.py

bench-exports: install services
	scripts/with-env --owner python bench/exports.py

bench-provenance: install
	scripts/with-env python bench/provenance.py

bench-checkpoints: install services
	scripts/with-env --owner python bench/checkpoints.py --items 1000000

# Two worker hosts sharing no disk, two S3 sites (moto servers), one broker and one database; one host killed
# half-way (README, "Running Slid across sites").
bench-hosts: install services
	scripts/with-env --owner python bench/hosts.py
