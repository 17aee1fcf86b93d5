# One-word entry points.  Each target sets up what it needs and can be re-run safely.
#   make book     build the website into _build/html, every chapter executed
#   make test     run every test: dlref, Keras parity, nbgrader pipeline, nbval, book build, browser
#   make test-fast  the fast NumPy tier only (the inner loop; no book, browser, Keras or nbgrader)
#   make pdf      the whole book as one PDF, _build/pdf/book.pdf
#   make lab      a student's JupyterLab on the released exercises, copied into work/
#   make validate a student's check of every notebook in work/ (exits 1 when one fails)
#   make release  regenerate the student versions of the exercises (nbgrader generate_assignment)
#   make collect ASSIGNMENT=chNN_slug ZIP=class.zip   a class's submissions into exercises/submitted/
#   make grade    autograde every submitted notebook of every assignment, then write the feedback
#   make scores   export the gradebook to exercises/grades.csv
#   make execute  re-execute the chapters in place, refreshing their stored outputs
#   make bench    run the speed and accuracy benchmarks (minutes; not part of the tests)

PYTHON ?= python3
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export TF_CPP_MIN_LOG_LEVEL := 3
export PYDEVD_DISABLE_FILE_VALIDATION := 1

APT_PACKAGES := chromium fonts-noto-cjk
ASSIGNMENTS  := $(notdir $(wildcard exercises/source/*))

.PHONY: venv system-deps node pdf book test test-fast release execute bench clean clean-grades lab validate collect grade scores

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt constraints.txt pyproject.toml exercises/coursegrader/install.py
	@$(PYTHON) -c 'import sys, venv, ensurepip; assert sys.version_info >= (3, 11)' 2>/dev/null || \
		{ echo "need Python >= 3.11 with venv (Debian: apt-get install python3-venv)"; $(MAKE) --no-print-directory APT_PACKAGES="python3-venv" system-deps; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m coursegrader.install
	touch $@

# Debian packages: Chromium and CJK fonts for the browser test.  Installed when running as
# root (as in CI); otherwise the command to run is printed.
system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else \
			echo "missing Debian packages: $$missing; run: sudo apt-get install $$missing"; \
		fi; \
	fi

# The site offers each released student notebook for download, so the release comes first.
book: venv release
	$(BIN)/jupyter-book build . -W -n --keep-going

test: venv system-deps node book pdf
	$(BIN)/python -m pytest

# The whole book as one PDF: Sphinx's single-page HTML printed by the system Chromium.
pdf: venv system-deps book
	$(BIN)/jupyter-book build . --builder singlehtml -W -n --keep-going
	$(BIN)/python tools/print_book.py _build/singlehtml _build/pdf/book.pdf
	cp _build/pdf/book.pdf _build/html/book.pdf     # the landing page links it

# axe-core, from the npm registry, for the accessibility test (package-lock.json pins it).
node: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || $(MAKE) --no-print-directory APT_PACKAGES="nodejs npm" system-deps
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

FAST := not keras and not browser and not notebook and not slow and not grader and not gpu
test-fast: venv
	$(BIN)/python -m pytest -m "$(FAST)" tests

release: venv
	cd exercises && for a in $(ASSIGNMENTS); do $(BIN)/nbgrader generate_assignment $$a --force --log-level=WARN || exit 1; done

# --- students -------------------------------------------------------------------------------
lab: venv release
	$(BIN)/python -m coursegrader.student lab

validate: venv
	$(BIN)/python -m coursegrader.student validate

# --- instructors (the README's "For instructors" has the folder flow) ------------------------
collect: venv
	@test -n "$(ASSIGNMENT)" -a -f "$(ZIP)" || { echo "usage: make collect ASSIGNMENT=chNN_slug ZIP=path/to/submissions.zip"; exit 2; }
	mkdir -p exercises/downloaded/$(ASSIGNMENT)/archive
	cp "$(ZIP)" exercises/downloaded/$(ASSIGNMENT)/archive/
	cd exercises && $(BIN)/nbgrader zip_collect $(ASSIGNMENT) --force

SUBMITTED = $(sort $(notdir $(wildcard exercises/submitted/*/ch*)))
grade: venv
	@test -n "$(SUBMITTED)" || { echo "nothing to grade: exercises/submitted/<student>/<assignment>/ is empty"; exit 2; }
	cd exercises && for a in $(SUBMITTED); do \
		$(BIN)/nbgrader autograde $$a --force && $(BIN)/nbgrader generate_feedback $$a --force || exit 1; done

scores: venv
	cd exercises && $(BIN)/nbgrader export --to=grades.csv
	@echo "scores: exercises/grades.csv"

execute: venv
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace chapters/*.ipynb

bench: venv
	$(BIN)/python benchmarks/mlp_vs_keras.py
	$(BIN)/python benchmarks/cnn_vs_keras.py --profile
	$(BIN)/python benchmarks/mnist_mlp_full.py

# Removes what the commands build: the site, the PDF and the student release.  Graded work is
# kept, the gradebook with it: `make clean-grades` removes submitted/, downloaded/,
# autograded/, feedback/, the gradebook and grades.csv together.
clean:
	rm -rf _build exercises/release node_modules

clean-grades:
	rm -rf exercises/submitted exercises/downloaded exercises/autograded exercises/feedback \
		exercises/gradebook.db exercises/grades.csv exercises/.nbgrader.log

.PHONY: mutate
MUTATE_JOBS ?= 2
# Mutation testing of dlref's numerical modules against the fast tier (maintainer tool, not part of `make test`; config: [tool.mutmut] in pyproject.toml).
mutate: venv
	$(BIN)/python -c 'import mutmut' 2>/dev/null || $(BIN)/python -m pip install --quiet 'mutmut==3.8.1'
	rm -rf mutants    # a fresh run: mutmut keeps old verdicts when only the tests change
	$(BIN)/mutmut run --max-children $(MUTATE_JOBS)
	$(BIN)/mutmut results
