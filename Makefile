# The same targets locally and in CI.  `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STATE := .kiln
LISTEN ?= 127.0.0.1:8080
PYTEST_ARGS ?=
# Where `make tarball`, `make srpm` and `make rpm` put what they build; the
# tests point it at a temporary directory.
DIST ?= dist
VERSION := $(shell $(PYTHON) -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])")
TARBALL := $(DIST)/kiln-$(VERSION).tar.gz
# rpmbuild works under $(DIST), never in ~/rpmbuild. The venv's python installs
# kiln in the spec's %install (Debian's setuptools is too old for pyproject).
# --nodeps: a Debian host's rpm database is empty; drop it on Fedora
# (make rpm RPMBUILD_ARGS=) to have the BuildRequires checked.
RPMBUILD_ARGS ?= --nodeps
RPMBUILD = rpmbuild $(RPMBUILD_ARGS) --define "_topdir $(abspath $(DIST))/rpmbuild" \
	--define "__python3 $(abspath $(PY))"

.PHONY: all venv deps test-deps run test test-fast test-random lint format bench tarball srpm rpm clean

all: test

$(VENV)/.installed: pyproject.toml Makefile tests/plugins/kiln_example_plugin/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]' -e tests/plugins/kiln_example_plugin
	# The official koji client is a test peer; its own dependency list pulls in
	# Kerberos bindings we do not need, so it comes without them.
	$(PY) -m pip install -q --no-deps 'koji==1.36.1'
	touch $@

venv: $(VENV)/.installed

# Debian packages, as binary:package. kiln itself runs builds with git (SCM
# checkouts), rpm and createrepo-c (build roots and repos): `make run` needs
# those. The tests also drive PostgreSQL, Subversion (SCM checkouts), nginx
# (the TLS front proxy of certificate login and the balancer of several hubs), zsh
# (the CLI's completion), chromium (the web UI in a real browser, through
# Playwright) and iproute2 (network namespaces for a site's builders).
RUN_TOOLS := /usr/bin/git:git /usr/bin/rpmbuild:rpm /usr/bin/createrepo_c:createrepo-c
TEST_TOOLS := $(RUN_TOOLS) /usr/bin/svn:subversion /usr/bin/svnadmin:subversion /usr/sbin/nginx:nginx /usr/bin/zsh:zsh \
	/usr/bin/chromium:chromium /sbin/ip:iproute2
# $(call apt,TOOLS,EXTRA-CHECK): install the packages of the missing TOOLS.
define apt
	@missing=""; $(2) \
	for pair in $(1); do test -x "$${pair%%:*}" || missing="$$missing $${pair##*:}"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing from Debian's packages:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi
endef
deps:
	$(call apt,$(RUN_TOOLS),)
test-deps:
	$(call apt,$(TEST_TOOLS),ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="postgresql";)

# The whole system on SQLite: the hub, one builder and the repo daemon
# (src/kiln/local_system.py); Ctrl-C stops all three.
run: venv deps
	@mkdir -p $(STATE)
	@test -s $(STATE)/admin-password || $(PY) -c "import secrets; print(secrets.token_hex(9))" > $(STATE)/admin-password
	@$(VENV)/bin/kiln-hub add-admin admin --password "$$(cat $(STATE)/admin-password)" --state-dir $(STATE) >/dev/null
	@printf '[koji]\nserver = http://$(LISTEN)/kojihub\nweburl = http://$(LISTEN)/koji\ntopurl = http://$(LISTEN)/kojifiles\n' > $(STATE)/koji.conf
	@echo "kiln web:  http://$(LISTEN)/koji/"
	@echo "kiln hub:  http://$(LISTEN)/kojihub   (database: $(STATE)/kiln.db, topdir: $(STATE)/topdir)"
	@echo "admin:     user admin, password $$(cat $(STATE)/admin-password)"
	@echo "try:       $(VENV)/bin/koji -c $(STATE)/koji.conf --user admin --password $$(cat $(STATE)/admin-password) moshimoshi"
	@echo "build:     $(VENV)/bin/koji -c $(STATE)/koji.conf --user admin --password $$(cat $(STATE)/admin-password) build sample 'git+file://$(abspath $(STATE))/sample/kiln-hello.git#main'"
	@echo "or kiln:   $(VENV)/bin/kiln -c $(STATE)/koji.conf --user admin --password $$(cat $(STATE)/admin-password) build sample 'git+file://$(abspath $(STATE))/sample/kiln-hello.git#main'"
	exec $(PY) -m kiln.local_system --state-dir $(STATE) --listen $(LISTEN) --admin-password "$$(cat $(STATE)/admin-password)"

# Four workers on two cores: the tests wait on hubs, builders and clients in
# other processes, and one module's tests stay on one worker (its hub and
# fixtures are made once). KILN_TEST_WORKERS changes it.
KILN_TEST_WORKERS ?= 4
# The fast set waits less and is bound by CPU: a fourth worker's own hubs and
# collection cost more than its overlap gains (108 s against 115 s measured).
KILN_FAST_WORKERS ?= 3
test: venv test-deps
	KILN_REQUIRE_POSTGRES=1 $(PY) -m pytest -n $(KILN_TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test-fast: venv test-deps
	KILN_REQUIRE_POSTGRES=1 $(PY) -m pytest -n $(KILN_FAST_WORKERS) --dist loadfile -q -m "not slow" $(PYTEST_ARGS)

# The whole suite in a shuffled order (modules, and the tests in each): the
# tests must not lean on each other.  SEED repeats an order; the header
# prints the one used.
SEED ?= $(shell $(PYTHON) -c "import random; print(random.randrange(1, 10**6))")
test-random: venv test-deps
	KILN_REQUIRE_POSTGRES=1 $(PY) -m pytest -n $(KILN_TEST_WORKERS) --dist loadfile \
		--random-order-bucket=module --random-order-seed=$(SEED) $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

format: venv
	$(VENV)/bin/ruff format src tests bench
	$(VENV)/bin/ruff check --fix src tests bench

bench: venv test-deps
	$(PY) -m bench.bench_hub
	$(PY) -m bench.bench_reads
	$(PY) -m bench.bench_tasks
	$(PY) -m bench.bench_repos
	$(PY) -m bench.bench_cli
	$(PY) -m bench.bench_web
	$(PY) -m bench.bench_web_live
	$(PY) -m bench.bench_list_tasks

# The sdist is the RPM's source too: it carries kiln.spec (hence rpmbuild -t).
tarball: venv
	@spec="$$(sed -n 's/^Version:[[:space:]]*//p' kiln.spec)"; test "$$spec" = "$(VERSION)" || \
		{ echo "kiln.spec says Version $$spec, pyproject.toml says $(VERSION)" >&2; exit 1; }
	rm -f $(TARBALL)
	$(PY) -m build --sdist --no-isolation --outdir $(DIST) .

srpm: tarball
	rm -rf $(DIST)/rpmbuild
	$(RPMBUILD) -ts $(TARBALL)
	cp $(DIST)/rpmbuild/SRPMS/kiln-$(VERSION)-*.src.rpm $(DIST)/

rpm: tarball
	rm -rf $(DIST)/rpmbuild
	$(RPMBUILD) -ta $(TARBALL)
	cp $(DIST)/rpmbuild/SRPMS/kiln-$(VERSION)-*.src.rpm $(DIST)/rpmbuild/RPMS/noarch/kiln-$(VERSION)-*.noarch.rpm $(DIST)/

clean:
	rm -rf $(VENV) $(STATE) $(DIST) .pytest_cache .ruff_cache
