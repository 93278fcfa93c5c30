import pytest
from toy_envs import GuessNumberEnv, NoisyEnv, RaisingOnBadInputEnv

from agentgym import AgentEnv, StepOutcome, Task, TaskSuite
from agentgym.testing import EnvCheckError, check_env


def test_a_conforming_env_passes_every_check():
    report = check_env(GuessNumberEnv, n_random_actions=500)
    assert report.ok, str(report)
    assert len(report.passed) == 7


def test_raising_on_bad_input_is_reported_with_the_fix():
    report = check_env(RaisingOnBadInputEnv, n_random_actions=300, raise_on_error=False)
    assert not report.ok
    fuzz = [p for p in report.problems if "random/adversarial actions broke the env" in p]
    assert fuzz and "never raise" in fuzz[0] and "ValueError: cannot parse" in fuzz[0]


def test_nondeterminism_is_reported():
    report = check_env(NoisyEnv, n_random_actions=50, raise_on_error=False)
    assert any(p.startswith("not deterministic") for p in report.problems), report.problems
    with pytest.raises(EnvCheckError, match="not deterministic"):
        check_env(NoisyEnv, n_random_actions=50)


class LeakyEnv(GuessNumberEnv):
    """Held-out shares a task with train, and the oracle is wrong."""

    suite = TaskSuite("leaky", "1", {
        "train": [Task(id="a", split="train", answer="5"), Task(id="b", split="train", answer="6")],
        "heldout": [Task(id="c", split="heldout", answer="5")],
    })

    def oracle_action(self):
        return "1"


def test_split_overlap_and_a_failing_oracle_are_reported():
    report = check_env(LeakyEnv, n_random_actions=50, raise_on_error=False)
    assert "splits overlap: held-out task 'c' (heldout) is the same task as 'a' (train)" in report.problems
    assert any(p.startswith("the oracle did not solve task 'a' (train) in 10 turns") for p in report.problems)


class NoLimitEnv(AgentEnv):
    suite = GuessNumberEnv.suite

    def _start(self, task, rng):
        return "hi"

    def _act(self, action):
        return StepOutcome("ok")

    def oracle_action(self):
        return "x"

    def step(self, action):
        obs, r, term, trunc, info = super().step(action)
        self._done = False
        return obs, r, term, False, info


def test_missing_truncation_is_reported():
    report = check_env(NoLimitEnv, n_random_actions=20, raise_on_error=False)
    assert any("no truncation after max_turns=50" in p for p in report.problems), report.problems


def test_a_visual_env_with_unicode_text_passes_and_image_nondeterminism_is_caught():
    import time

    import numpy as np
    from toy_envs import UnicodeImageEnv

    report = check_env(UnicodeImageEnv, n_random_actions=300)
    assert report.ok and len(report.passed) == 7, str(report)

    class NoisyPixels(UnicodeImageEnv):
        """The text is deterministic; one pixel of the image follows the clock."""

        def _wrap_obs(self, text):
            obs = super()._wrap_obs(text)
            obs["images"][0][0, 0] = np.uint8(time.perf_counter_ns() % 251)
            return obs

    report = check_env(NoisyPixels, n_random_actions=50, raise_on_error=False)
    assert any(p.startswith("not deterministic") for p in report.problems), report.problems


def test_text_space_holds_any_unicode_and_samples_beyond_ascii():
    from agentgym.core import text_space

    space = text_space(50)
    assert space.contains("Ünïcödé — 日本語 🙂 \x00\n") and not space.contains("x" * 51) and not space.contains(3)
    space.seed(0)
    samples = "".join(space.sample() for _ in range(50))
    assert any(ord(c) > 127 for c in samples) and any(ord(c) < 128 for c in samples)
