"""A tiny env for trainer tests: short text, rewards that vary across random samples, an answer for IGPO."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import agentgym
from agentgym.core import AgentEnv, StepOutcome, Task, TaskSuite

KEYWORD_ENV = "agentgym-test/Keyword-v0"


class KeywordEnv(AgentEnv):
    """Two turns; a turn scores 1 when the reply contains the letter of the task. Random replies of a tiny model hit
    it about half the time, so group members differ and every credit method gets a non-zero signal."""

    suite = TaskSuite("keyword", "0", {
        "train": [Task(id=f"kw/train/{i}", split="train", seed=i, params={"letter": "aeiou"[i % 5]},
                       answer="aeiou"[i % 5]) for i in range(10)],
        "heldout": [Task(id=f"kw/heldout/{i}", split="heldout", seed=100 + i, params={"letter": "eo"[i % 2]},
                         answer="eo"[i % 2]) for i in range(4)],
    })
    default_max_turns = 2

    @property
    def system_prompt(self) -> str:
        return "Say a word."

    def _start(self, task: Task, rng: np.random.Generator) -> str:
        self.hits = 0
        return f"Use {task.params['letter']}."

    def _act(self, action: str) -> StepOutcome:
        hit = self.task.params["letter"] in action.lower()
        self.hits += hit
        done = self.turn + 1 >= 2
        return StepOutcome(observation="ok" if hit else "no", reward=float(hit), terminated=done,
                           valid_action=hit, success=done and self.hits == 2, progress=self.hits / 2)

    def oracle_action(self) -> str:
        return f"{self.task.params['letter']}{self.task.params['letter']}"


if KEYWORD_ENV not in agentgym.list_envs():
    agentgym.register(KEYWORD_ENV, KeywordEnv, description="trainer tests")


def tiny_overrides(out_dir: Path, *, algo: str, method: str = "outcome", steps: int = 2) -> list[str]:
    """Overrides that make any recipe tiny: a 1-layer model, 2 tasks x 4 samples, 4 new tokens."""
    return [
        f"run.steps={steps}", f'run.out_dir="{out_dir}"', "run.progress_bar=false", "run.tensorboard=false",
        "run.save_every=0", "run.eval_every=0", f'env.id="{KEYWORD_ENV}"', "model.tiny_hidden_size=32",
        "model.tiny_num_layers=1", "model.tiny_num_heads=2", "model.tiny_vocab_size=300", "model.tiny_corpus_episodes=4",
        "rollout.tasks_per_step=2", "rollout.group_size=4", "rollout.max_new_tokens=4", "rollout.executor=inline",
        f'algo.name="{algo}"', "algo.lr=1e-2", "algo.micro_batch_size=4", f'credit.method="{method}"',
    ]




CRASHY_KEYWORD_ENV = "agentgym-test/CrashyKeyword-v0"


class CrashyKeywordEnv(KeywordEnv):
    """KeywordEnv whose even-numbered train tasks crash in their second step (a sandbox that dies mid-episode)."""

    def _act(self, action: str) -> StepOutcome:
        if self.turn == 1 and int(self.task.id.rsplit("/", 1)[1]) % 2 == 0:
            raise RuntimeError("sandbox died")
        return super()._act(action)


if CRASHY_KEYWORD_ENV not in agentgym.list_envs():
    agentgym.register(CRASHY_KEYWORD_ENV, CrashyKeywordEnv, description="trainer tests: errored episodes")


PICK_ENV = "agentgym-test/PickA-v0"


class PickAEnv(AgentEnv):
    """One turn: the reply scores 1 when it contains the letter "a", else 0. With one generated token, the rewarded
    actions are the vocabulary entries that contain "a": a policy-gradient step must move probability onto them."""

    suite = TaskSuite("pick_a", "0", {
        "train": [Task(id=f"pick/train/{i}", split="train", seed=i) for i in range(4)],
        "heldout": [Task(id="pick/heldout/0", split="heldout", seed=99)],
    })
    default_max_turns = 1

    @property
    def system_prompt(self) -> str:
        return "Say a word with the letter a, like banana or cat."

    def _start(self, task: Task, rng: np.random.Generator) -> str:
        return "Your word?"

    def _act(self, action: str) -> StepOutcome:
        hit = "a" in action.lower()
        return StepOutcome(observation="yes" if hit else "no", reward=float(hit), terminated=True, success=hit,
                           progress=float(hit))

    def oracle_action(self) -> str:
        return "banana"


if PICK_ENV not in agentgym.list_envs():
    agentgym.register(PICK_ENV, PickAEnv, description="trainer tests: one rewarded set of actions")
