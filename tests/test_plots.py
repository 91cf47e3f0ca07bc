"""The shared plots draw what they say (counted lines/patches/points), without displaying."""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from scipy import stats  # noqa: E402

import nasbook  # noqa: E402
from nasbook.viz import plots  # noqa: E402
from nasbook.spaces.space import SearchSpace  # noqa: E402
from nasbook.evaluation.toy import ToyEvaluator  # noqa: E402
from nasbook.trial import Trial  # noqa: E402

SPACE = SearchSpace()


def toy_run(seed: int, budget: int = 12, diverge=None):
    evaluator = ToyEvaluator(SPACE, diverge=diverge)
    return nasbook.search("random", budget=budget, seed=seed, evaluator=evaluator, progress=False)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_progress_marks_trials_best_and_failures():
    run = toy_run(0, diverge=lambda a: a["learning_rate"] == 0.1)
    assert run.failures > 0 and run.failures < run.evaluations
    ax = plots.plot_progress(run)
    ok_points, fail_points = ax.collections[0], ax.collections[1]
    assert len(ok_points.get_offsets()) == run.evaluations - run.failures
    assert len(fail_points.get_offsets()) == run.failures
    best_line = ax.lines[0]
    ydata = np.asarray(best_line.get_ydata(), dtype=float)
    expected = np.array(run.best_so_far())
    expected[~np.isfinite(expected)] = np.nan
    np.testing.assert_allclose(ydata, expected)
    assert ax.get_yscale() == "log"


def test_progress_draws_on_a_plain_figure_and_accepts_a_trial_list():
    fig = Figure()
    ax = fig.add_subplot()
    trials = [Trial(arch={}, val_loss=0.5), Trial(arch={}, val_loss=None, status="failed")]
    assert plots.plot_progress(trials, ax=ax) is ax
    assert len(ax.collections) == 2


def test_best_so_far_matrix_pads_and_keeps_inf_until_success():
    m = plots.best_so_far_matrix([[3.0, 1.0, 2.0], [math.inf, 4.0], [None, None, 0.5, 0.7]])
    assert m.shape == (3, 4)
    np.testing.assert_array_equal(m[0], [3, 1, 1, 1])
    np.testing.assert_array_equal(m[1], [np.inf, 4, 4, 4])
    np.testing.assert_array_equal(m[2], [np.inf, np.inf, 0.5, 0.5])


def test_mean_band_ci_sd_minmax():
    m = np.array([[1.0, 2.0], [3.0, 4.0]])
    mean, lo, hi = plots.mean_band(m, "sd")
    np.testing.assert_allclose(mean, [2, 3])
    np.testing.assert_allclose(hi - mean, [math.sqrt(2)] * 2)
    mean, lo, hi = plots.mean_band(m, "ci")
    np.testing.assert_allclose(hi - mean, stats.t.ppf(0.975, 1) * math.sqrt(2) / math.sqrt(2))
    _, lo, hi = plots.mean_band(m, "minmax")
    np.testing.assert_allclose(lo, [1, 2])
    with pytest.raises(ValueError, match="band"):
        plots.mean_band(m, "wide")


def test_ci_band_at_three_seeds_is_a_t_interval_not_a_normal_one():
    m = np.array([[1.0, 5.0], [2.0, 5.0], [4.0, 5.0]])  # 3 seeds; the second column does not vary
    mean, lo, hi = plots.mean_band(m, "ci")
    t = stats.t.ppf(0.975, 2)
    assert t == pytest.approx(4.303, abs=1e-3)  # the normal 1.96 would be about half as wide
    np.testing.assert_allclose(hi - mean, [t * np.std([1, 2, 4], ddof=1) / math.sqrt(3), 0.0])
    np.testing.assert_allclose(mean - lo, hi - mean)
    _, lo, hi = plots.mean_band(m[:1], "ci")  # one seed: no interval at all
    assert np.isnan(lo).all() and np.isnan(hi).all()


def test_regret_plot_says_which_band_it_draws():
    ax = plots.plot_regret(np.array([[3.0, 2.0], [2.0, 1.0], [4.0, 1.5]]), label="r", logy=False)
    assert "95 % t interval of the mean" in ax.get_legend().get_title().get_text()
    assert "t interval" in ax.get_title()
    ax = plots.plot_regret(np.array([[3.0, 2.0], [2.0, 1.0]]), label="r", band="minmax", logy=False)
    assert "min to max" in ax.get_legend().get_title().get_text()


def test_regret_over_seeds_draws_mean_and_band():
    runs = [toy_run(s) for s in range(3)]
    optimum = ToyEvaluator(SPACE).loss(ToyEvaluator(SPACE).optimum)
    ax = plots.plot_regret(runs, label="random", optimum=optimum)
    plots.plot_regret(np.array([[3.0, 2.0, 1.0], [2.0, 2.0, 2.0]]), ax=ax, label="array", logy=False)
    assert len(ax.lines) == 2 and len(ax.collections) == 2  # two means, two bands
    mean = ax.lines[0].get_ydata()
    expected = np.mean([np.array(r.best_so_far()) - optimum for r in runs], axis=0)
    np.testing.assert_allclose(mean, expected)
    assert np.all(np.diff(mean) <= 1e-12)  # best so far never gets worse
    assert "n=3" in ax.get_legend().get_texts()[0].get_text()


RL_TRACE = [{"kind": "rl", "update": u, "probs": {"optimizer": [1 / 3 + d, 1 / 3, 1 / 3 - d],
                                                   "dropout_rate": [0.25] * 4}}
            for u, d in enumerate([0.0, 0.1, 0.2])] + [{"kind": "other"}]


def test_rl_policy_one_panel_per_key_one_line_per_choice():
    fig = plots.plot_rl_policy(RL_TRACE, space=SPACE)
    assert len(fig.axes) == 2
    assert len(fig.axes[0].lines) == 3 and len(fig.axes[1].lines) == 4
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["Adam", "SGD", "RMSprop"]
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), [1 / 3, 1 / 3 + 0.1, 1 / 3 + 0.2])


def test_rl_policy_reads_a_result_and_says_when_empty():
    fig = plots.plot_rl_policy(toy_run(0, budget=3))  # random search: no RL entries
    assert "no RL policy" in fig.texts[0].get_text()


def test_population_per_generation_with_failures():
    trace = [{"kind": "population", "generation": g, "archs": [{}] * 3,
              "scores": [1.0 / (g + 1), 2.0, None if g == 1 else math.inf]} for g in range(3)]
    ax = plots.plot_population(trace)
    points = sum(len(c.get_offsets()) for c in ax.collections)
    assert points == 9
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [1.0, 0.5, 1 / 3])


def test_darts_heatmap_from_trace_and_dict():
    alphas = {"optimizer": [0.2, 0.5, 0.3], "dropout_rate": [0.1, 0.2, 0.3, 0.4]}
    trace = [{"kind": "darts", "epoch": 0, "alphas": {k: [1 / len(v)] * len(v) for k, v in alphas.items()}},
             {"kind": "darts", "epoch": 1, "alphas": alphas}]
    ax = plots.plot_darts_alphas(trace, space=SPACE)
    grid = ax.images[0].get_array()
    assert grid.shape == (2, 4)
    np.testing.assert_allclose(grid[0, :3], [0.2, 0.5, 0.3])
    assert np.ma.is_masked(grid[0, 3]) or np.isnan(grid[0, 3])
    assert "epoch 1" in ax.get_title()
    assert any("RMSprop" in t.get_text() for t in ax.texts)
    ax2 = plots.plot_darts_alphas(alphas)
    assert ax2.images[0].get_array().shape == (2, 4)


def test_pareto_front_highlighted():
    points = np.array([[10, 3.0], [20, 2.0], [30, 2.5], [40, 1.0], [50, 1.5]])
    ax = plots.plot_pareto(points)
    front = ax.collections[1].get_offsets()
    np.testing.assert_allclose(front, [[10, 3.0], [20, 2.0], [40, 1.0]])
    run = toy_run(0)
    for t in run.trials:
        t.params = 100 + 10 * t.step
    ax = plots.plot_pareto(run)
    assert len(ax.collections[0].get_offsets()) == run.evaluations


def test_draw_mlp_counts_nodes_and_edges():
    arch = {"num_hidden_layers": 2, "hidden_layer_size": 4, "activation_function": "Tanh",
            "learning_rate": 0.01, "optimizer": "SGD", "dropout_rate": 0.2}
    ax = plots.draw_mlp(arch, in_features=1, out_features=1)
    assert len(ax.patches) == 1 + 4 + 4 + 1
    assert len(ax.lines) == 1 * 4 + 4 * 4 + 4 * 1
    assert "Tanh" in ax.get_title() and "SGD" in ax.get_title()
    wide = plots.draw_mlp({**arch, "hidden_layer_size": 512}, max_nodes=6)
    assert len(wide.patches) == 1 + 6 + 6 + 1
    assert any("(+506)" in t.get_text() for t in wide.texts)


def test_mean_band_waits_until_every_run_has_a_success():
    mean, lo, hi = plots.mean_band(np.array([[np.inf, 2.0, 1.0], [3.0, 3.0, 3.0]]), "ci")
    assert np.isnan(mean[0]) and np.isnan(lo[0])
    np.testing.assert_allclose(mean[1:], [2.5, 2.0])


@pytest.mark.parametrize("name, kind", [("local", "local_optimum"), ("evolution", "population"),
                                        ("pareto", "population"), ("rl", "rl")])
def test_every_trace_entry_names_its_kind(name, kind):
    result = nasbook.search(name, evaluator=ToyEvaluator(), budget=60, seed=0, progress=False)
    assert result.trace and {plots.entry_kind(e) for e in result.trace} == {kind}
    assert all(e.get("kind") == e["kind"] for e in result.trace)  # typed records still read as dicts


def test_entries_without_a_kind_are_not_guessed():
    trace = [{"update": 0, "probs": {"optimizer": [0.2, 0.3, 0.5]}},
             {"generation": 0, "population": [{"arch": {}, "score": 1.0}, {"arch": {}, "score": math.inf}]},
             {"epoch": 0, "alphas": {"optimizer": [0.2, 0.3, 0.5]}}]
    assert [plots.entry_kind(e) for e in trace] == [None, None, None]
    assert all(plots.trace_entries(trace, kind) == [] for kind in ("rl", "population", "darts"))


def test_real_evolution_trace_is_drawn():
    run = nasbook.search("evolution", budget=30, seed=0, evaluator=ToyEvaluator(SPACE), progress=False)
    entries = plots.trace_entries(run, "population")
    assert entries
    ax = plots.plot_population(run)
    assert len(ax.lines[0].get_xdata()) == len(entries)


def test_multi_objective_population_uses_the_loss_column():
    entry = {"generation": 0, "population": [{"num_hidden_layers": 1}, {"num_hidden_layers": 2}],
             "objectives": [[0.5, 100.0], [0.3, 900.0]], "front": [0, 1]}
    np.testing.assert_allclose(plots.population_scores(entry), [0.5, 0.3])
    assert len(plots.population_scores({"generation": 0, "population": [{"a": 1}]})) == 0
