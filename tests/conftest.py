"""Shared fixtures and the test tiers.

Fixtures: a seeded generator, and Debian's headless Chromium driven by Playwright, whose pages
refuse and record every request to a host other than this machine.

Tiers (pytest markers, registered in pyproject.toml): ``keras`` (needs TensorFlow), ``browser``
(needs Chromium), ``notebook`` (nbval re-executes a chapter), ``grader`` (runs nbgrader
subprocesses), ``slow`` and ``gpu``.  ``make test`` runs every tier; the fast NumPy tier is
``pytest -m "not keras and not browser and not notebook and not slow and not grader and not gpu" tests``.
In CI (``CI`` set) a missing TensorFlow or Chromium fails the run instead of skipping.
"""
import os
import shutil
from urllib.parse import urlparse

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_tensorflow():
    """Import and return TensorFlow for a ``keras`` module; skip without it, but fail in CI."""
    try:
        import tensorflow
    except ImportError as exc:
        if IN_CI:
            pytest.fail(f"the Keras parity tests must run in CI, but TensorFlow is missing: {exc}",
                        pytrace=False)
        pytest.skip(f"TensorFlow is in requirements.txt but not installed: {exc}",
                    allow_module_level=True)
    return tensorflow


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def require_browser():
    """Skip (fail in CI) when Playwright or Debian's chromium is missing."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "the Python package playwright (pip install -r requirements.txt)"
    else:
        missing = None if CHROMIUM else "Debian's chromium (apt-get install chromium)"
    if missing:
        if IN_CI:
            pytest.fail(f"the browser test must run in CI, but {missing} is not installed")
        pytest.skip(f"browser test needs {missing}")


@pytest.fixture(scope="module")
def browser():
    require_browser()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.foreign = []
    pg.console_errors = []

    def route(r):
        host = urlparse(r.request.url).hostname
        if host in ("127.0.0.1", "localhost") or r.request.url.startswith("data:"):
            r.continue_()
        else:
            pg.foreign.append(r.request.url)
            r.abort()

    pg.route("**/*", route)
    # pydata-sphinx-theme logs "invalid theme mode" once when localStorage is empty
    pg.on("console", lambda m: m.type == "error" and "theme mode" not in m.text
          and pg.console_errors.append(m.text))
    yield pg
    context.close()


