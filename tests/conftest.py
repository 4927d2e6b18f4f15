"""What every test of the kit shares: a walk index of its own, never the user's.

The commands keep their walk index under ``$XDG_CACHE_HOME/realdex/index`` (``~/.cache/realdex/index``)
unless ``$REALDEX_INDEX`` names another folder (``realdex_ref/index.py``). Every test here, and every
command it runs in-process or as a child process (they inherit the environment), gets a folder of this
run's temporary directory instead, so that a test run writes nothing under the user's home.
``tests/test_index.py::test_a_test_run_writes_nothing_under_the_home_folder`` checks it.
"""
from __future__ import annotations

import pytest

INDEX_FOLDER = "realdex-index"


@pytest.fixture(scope="session", autouse=True)
def _index_of_this_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp(INDEX_FOLDER)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REALDEX_INDEX", str(folder))
        yield folder
