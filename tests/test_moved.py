"""nasbook 0.1's module paths still import (with a FutureWarning naming the new place)."""
import importlib
import subprocess
import sys

import pytest


def test_an_old_module_path_imports_the_new_module_and_says_where_it_moved():
    code = ("import warnings; warnings.simplefilter('error', FutureWarning)\n"
            "try:\n    import nasbook.toy\nexcept FutureWarning as w:\n    print(w)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "nasbook.toy moved to nasbook.evaluation.toy" in out


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_old_paths_give_the_same_objects_and_nasbook_search_stays_the_function():
    import nasbook
    from nasbook.evaluation.toy import ToyEvaluator
    from nasbook.tabular.recorded import load_records

    assert importlib.import_module("nasbook.toy").ToyEvaluator is ToyEvaluator
    assert importlib.import_module("nasbook.bench.replay").load_records is load_records
    from nasbook.search import search  # the 0.1 way
    import nasbook.search  # noqa: F401  (must not replace the function by the module)

    assert search is nasbook.search and callable(nasbook.search)
