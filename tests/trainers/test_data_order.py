"""env.task_params: which train and held-out tasks a run plays."""

from __future__ import annotations

from collections import Counter

import pytest

from agentgym.trainers.config import ConfigError, load_config
from agentgym.trainers.data_order import env_tasks

EASY = ['env.id="agentgym/TextAdventure-v0"', 'env.kwargs={level="easy"}']


def _goals(tasks):
    return Counter(t.params["goal"] for t in tasks)


def test_a_scalar_keeps_equal_params_and_a_list_keeps_any_of_its_values():
    train, held = env_tasks(load_config(None, EASY).env)
    assert _goals(train) == {"unlock": 230, "fetch": 58, "deliver": 57, "reach": 55}
    assert _goals(held) == {"unlock": 33, "return": 15, "deliver": 6, "reach": 3, "fetch": 3}

    train, held = env_tasks(load_config(None, EASY + ['env.task_params={goal="reach"}']).env)
    assert _goals(train) == {"reach": 55} and _goals(held) == {"reach": 3}

    train, held = env_tasks(load_config(None, EASY + ['env.task_params={goal=["reach", "fetch"], topology="tree"}']).env)
    assert _goals(train) == {"fetch": 30, "reach": 27} and _goals(held) == {"fetch": 2, "reach": 1}
    assert {t.params["topology"] for t in train + held} == {"tree"}


def test_a_filter_that_leaves_nothing_names_itself():
    with pytest.raises(ConfigError, match=r"no train task .* env.task_params=\{'goal': \['swim'\]\}"):
        env_tasks(load_config(None, EASY + ['env.task_params={goal=["swim"]}']).env)
