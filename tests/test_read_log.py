"""The run-log reader: tolerate what is harmless, say exactly what is wrong, never let an
impossible score win."""
from __future__ import annotations

import json

import pytest

from nasbook import NasbookError, read_log, search
from nasbook.evaluation.toy import ToyEvaluator


@pytest.fixture
def log(tmp_path):
    """A finished run log of 4 trials (a header and 4 newline-terminated lines)."""
    path = tmp_path / "run.jsonl"
    search(budget=4, seed=0, evaluator=ToyEvaluator(), log=path, progress=False)
    return path


def lines_of(path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def resume(path):
    return search(budget=4, seed=0, evaluator=ToyEvaluator(), log=path, resume=True, progress=False)


@pytest.mark.parametrize("edit", [
    lambda data: b"\xef\xbb\xbf" + data,  # a UTF-8 byte-order mark (an editor saved it)
    lambda data: b"\n\n" + data,  # leading blank lines
    lambda data: data.replace(b"}\n", b"}\n\n  \n"),  # blank lines between trials
    lambda data: data.replace(b"\n", b"\r\n"),  # Windows line ends
], ids=["BOM", "leading blank lines", "blank lines between trials", "CRLF"])
def test_harmless_edits_are_read_as_if_they_were_not_there(log, edit):
    header, trials, warnings = read_log(log)
    log.write_bytes(edit(log.read_bytes()))
    again = read_log(log)
    assert again[0] == header and [t.to_dict() for t in again[1]] == [t.to_dict() for t in trials]
    assert again[2] == warnings == []


def test_a_truncated_last_line_ending_in_a_brace_is_half_written_and_cut_on_resume(log):
    complete = log.read_bytes()
    cut = b'{"kind": "trial", "strategy": "random", "arch": {"num_hidden_layers": 2}'  # ends in }, unbalanced
    lines = lines_of(log)
    log.write_bytes(b"".join(lines[:-1]) + cut)
    _, trials, warnings = read_log(log)
    assert len(trials) == 3
    assert warnings == [f"{log}: line 5 is half-written (the run was cut off mid-write); it was ignored"]
    result = resume(log)
    assert result.resumed == 3 and result.evaluations == 4
    assert any("line 5 is half-written" in note for note in result.notes)
    assert any("the half-written last line was removed before appending" in note for note in result.notes)
    assert log.read_bytes().count(b"\n") == complete.count(b"\n") and read_log(log)[2] == []


def test_a_broken_complete_last_line_is_damage_with_its_line_number(log):
    lines = lines_of(log)
    log.write_bytes(b"".join(lines[:-1]) + lines[-1][:40] + b"\n")  # cut, but newline-terminated
    before = log.read_bytes()
    with pytest.raises(NasbookError) as caught:
        read_log(log)
    assert str(caught.value).startswith(f"{log}: line 5 is not a valid run-log record (")
    assert str(caught.value).endswith("the log is damaged")
    with pytest.raises(NasbookError, match="line 5 is not a valid run-log record"):
        resume(log)
    assert log.read_bytes() == before  # refused, not repaired


EDITS = [  # (field, edited value as JSON text, words the message must contain)
    ("val_loss", "-0.5", ["val_loss=-0.5", "a finite number >= 0, or null for a failure"]),
    ("val_loss", '"NaN"', ["val_loss='NaN'", "a finite number >= 0"]),
    ("val_loss", "NaN", ["val_loss=nan", "a finite number >= 0"]),
    ("val_loss", "1e999", ["val_loss=inf", "a finite number >= 0"]),
    ("val_loss", "true", ["val_loss=True", "a finite number >= 0"]),
    ("status", '"great"', ["status='great'", "one of ('ok', 'diverged', 'failed')"]),
    ("arch", "[2, 64]", ["arch=[2, 64]", "an architecture dict"]),
    ("arch", "null", ["arch=None", "an architecture dict"]),
    ("params", "-10", ["params=-10", "an integer >= 0"]),
    ("params", "2.5", ["params=2.5", "an integer >= 0"]),
    ("elapsed", '"soon"', ["elapsed='soon'", "a finite number of seconds >= 0"]),
    ("seconds", "-1", ["seconds=-1", "a finite number of seconds >= 0"]),
    ("seed", '"0"', ["seed='0'", "an integer >= 0"]),
    ("train_curve", '"down"', ["train_curve='down'", "a list of numbers"]),
    ("cached", '"no"', ["cached='no'", "true or false"]),
    ("extras", '"fast"', ["extras='fast'", "a dict"]),
]


@pytest.mark.parametrize("field, value, words", EDITS, ids=[f"{f}={v}" for f, v, _ in EDITS])
@pytest.mark.parametrize("line", [3, 5], ids=["middle line", "last line"])
def test_an_edited_trial_is_refused_naming_the_line_and_the_value(log, field, value, words, line):
    lines = lines_of(log)
    record = json.loads(lines[line - 1])
    edited = json.dumps(record).replace(f'"{field}": {json.dumps(record[field])}', f'"{field}": {value}', 1)
    assert edited != json.dumps(record)
    lines[line - 1] = edited.encode() + b"\n"
    log.write_bytes(b"".join(lines))
    for call in (read_log, resume):
        with pytest.raises(NasbookError) as caught:
            call(log)
        message = str(caught.value)
        assert message.startswith(f"{log}: line {line} is not a valid run-log record ("), message
        for word in words:
            assert word in message, f"{word!r} not in {message!r}"


def test_an_impossible_score_never_becomes_best(log):
    lines = lines_of(log)
    record = json.loads(lines[2])
    record["val_loss"] = -1e9  # "better" than anything a loss can be
    lines[2] = json.dumps(record).encode() + b"\n"
    log.write_bytes(b"".join(lines))
    with pytest.raises(NasbookError, match=r"val_loss=-1000000000.0"):
        resume(log)
    from nasbook import load_trials

    with pytest.raises(NasbookError, match="line 3"):
        load_trials(log)


def test_a_second_header_and_a_trial_before_the_header_are_damage(log):
    lines = lines_of(log)
    log.write_bytes(b"".join(lines[:3] + lines[:1] + lines[3:]))
    with pytest.raises(NasbookError, match=r"line 4 is not a valid run-log record \(a second header\)"):
        read_log(log)
    log.write_bytes(b"".join(lines[1:2] + lines))
    with pytest.raises(NasbookError, match="line 1 is not a run-log header"):
        read_log(log)


def test_a_missing_file_and_a_folder_say_what_they_are(tmp_path):
    with pytest.raises(NasbookError, match=r"is not allowed; the path of an existing run log \(\.jsonl\) "
                                           r"\(there is no such file\)"):
        read_log(tmp_path / "missing.jsonl")
    with pytest.raises(NasbookError, match=r"\(this is a directory\)"):
        read_log(tmp_path)
