"""Files: logs and results are strict JSON; nothing unpickles; torch.load only with weights_only=True."""
from __future__ import annotations

import json
import re
from pathlib import Path

from nasbook import read_log, search
from nasbook.evaluation.toy import ToyEvaluator

PACKAGE = Path(__file__).resolve().parents[1] / "nasbook"
UNSAFE = [  # (pattern, why it is refused)
    (r"^\s*(import|from)\s+(c?pickle|dill|shelve|joblib|cloudpickle)\b", "unpickling runs arbitrary code"),
    (r"\bpickle\.loads?\(", "unpickling runs arbitrary code"),
    (r"\bmarshal\.loads?\(", "unmarshalling untrusted bytes"),
    (r"allow_pickle\s*=\s*True", "numpy would unpickle object arrays"),
    (r"(?<![.\w])(eval|exec)\(", "running text as code"),
]


def sources() -> list[tuple[Path, str]]:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 10  # the package really was found
    return [(f, f.read_text(encoding="utf-8")) for f in files]


def test_no_pickle_eval_or_unsafe_loading_in_the_package():
    found = [f"{path.relative_to(PACKAGE.parent)}:{n}: {line.strip()} ({why})"
             for path, text in sources() for n, line in enumerate(text.splitlines(), 1)
             for pattern, why in UNSAFE if re.search(pattern, line)]
    assert found == []


def unsafe_torch_loads(text: str) -> list[str]:
    """The ``torch.load(...)`` calls in ``text`` that do not pass ``weights_only=True``."""
    calls = re.findall(r"torch\.load\((?:[^()]|\([^()]*\))*\)", text)
    return [call for call in calls if "weights_only=True" not in call]


def test_every_torch_load_uses_weights_only():
    assert unsafe_torch_loads("m = torch.load(open(p, 'rb'))\nw = torch.load(p, weights_only=True)") == \
        ["torch.load(open(p, 'rb'))"]  # the check itself works
    assert [f"{path.name}: {call}" for path, text in sources() for call in unsafe_torch_loads(text)] == []


def strict(text: str):
    """json.loads that refuses NaN/Infinity (which Python's json would otherwise accept)."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_run_log_and_summary_are_strict_json_even_with_failures(tmp_path):
    log = tmp_path / "run.jsonl"
    toy = ToyEvaluator(diverge=lambda arch: arch["learning_rate"] == 0.1)
    result = search(budget=15, seed=0, evaluator=toy, log=log, progress=False)
    assert result.failures > 0
    records = [strict(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert records[0]["kind"] == "header" and len(records) == 16
    assert strict(json.dumps(result.summary()))["evaluations"] == 15
    _, trials, _ = read_log(log)
    assert [t.status for t in trials] == [t.status for t in result.trials]


def test_a_diverged_curve_is_written_as_null(tmp_path):
    from nasbook.loop.runlog import json_safe

    assert json_safe({"curve": [1.0, float("nan"), float("inf")], "x": (2, -float("inf"))}) == \
        {"curve": [1.0, None, None], "x": [2, None]}
