"""agentgym.evaluation: confidence intervals (Wilson score for the success rate, bootstrap for the means)."""

from __future__ import annotations

import math

import pytest

from agentgym.evaluation import bootstrap_ci, eval_metrics, wilson_ci
from agentgym.types import Trajectory, Turn

# z = 1.959964 (the 0.975 normal quantile), z^2 = 3.841459. Wilson: (p + z^2/2n -/+ z sqrt(p(1-p)/n + z^2/4n^2)) /
# (1 + z^2/n). At p = 0 the upper bound is z^2 / (n + z^2); at p = 1 the lower bound is n / (n + z^2).
WILSON_95 = [
    # successes, n, low, high
    (0, 60, 0.0, 0.060172),      # 3.841459 / 63.841459
    (60, 60, 0.939828, 1.0),     # 60 / 63.841459
    (30, 60, 0.377350, 0.622650),  # 0.5 -/+ 1.959964 * sqrt(0.25/60 + 3.841459/14400) / (1 + 3.841459/60)
    (1, 1, 0.206549, 1.0),       # 1 / 4.841459
]


@pytest.mark.parametrize("successes,n,low,high", WILSON_95)
def test_wilson_95_matches_hand_worked_numbers(successes, n, low, high):
    lo, hi = wilson_ci(successes, n, confidence=0.95)
    assert lo == pytest.approx(low, abs=1e-6) and hi == pytest.approx(high, abs=1e-6)


def test_wilson_is_exact_at_the_ends_and_not_zero_width():
    assert wilson_ci(0, 60) == (0.0, pytest.approx(0.060172, abs=1e-6))
    assert wilson_ci(60, 60)[1] == 1.0
    lo, hi = wilson_ci(0, 60, confidence=0.99)  # z = 2.575829: 6.634897 / 66.634897
    assert lo == 0.0 and hi == pytest.approx(0.099571, abs=1e-6)


def test_wilson_edge_cases():
    assert all(math.isnan(v) for v in wilson_ci(0, 0))
    with pytest.raises(ValueError, match="successes must be in 0..n, got 3 of 2"):
        wilson_ci(3, 2)


def _episodes(successes: int, n: int) -> list[Trajectory]:
    return [Trajectory(env_id="toy", task_id=str(i), success=i < successes) for i in range(n)]


def test_eval_metrics_gives_the_success_rate_a_wilson_interval():
    m = eval_metrics(_episodes(0, 60))
    assert m["eval/success_rate"] == 0.0
    assert (m["eval/success_rate_ci_low"], m["eval/success_rate_ci_high"]) == wilson_ci(0, 60)
    assert m["eval/success_rate_ci_high"] > 0.06  # not the zero-width "0.0% .. 0.0%" a bootstrap gives
    m = eval_metrics(_episodes(30, 60), confidence=0.9)
    assert (m["eval/success_rate_ci_low"], m["eval/success_rate_ci_high"]) == wilson_ci(30, 60, confidence=0.9)


def test_eval_metrics_keeps_the_bootstrap_for_the_means():
    trajs = [Trajectory(env_id="toy", task_id=str(i), turns=[Turn(index=0, observation="o", action="a", reward=i % 3,
                                                                  info={"progress": i % 2})])
             for i in range(12)]
    m = eval_metrics(trajs, seed=1)
    for key, values in (("eval/mean_reward", [float(i % 3) for i in range(12)]),
                        ("eval/mean_progress", [float(i % 2) for i in range(12)])):
        assert (m[key + "_ci_low"], m[key + "_ci_high"]) == bootstrap_ci(values, seed=1)
        assert m[key + "_ci_low"] < m[key] < m[key + "_ci_high"]
