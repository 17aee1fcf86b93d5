"""pytest's root hook: nbval's items, one per cell of chapters/*.ipynb, join the ``notebook`` tier.

(The fixtures live in tests/conftest.py; this file sits at the root so that the hook also
runs when only ``chapters/`` is collected.)
"""
import pytest


def pytest_collection_modifyitems(config, items):
    for item in items:
        if type(item).__name__ == "IPyNbCell":
            item.add_marker(pytest.mark.notebook)
