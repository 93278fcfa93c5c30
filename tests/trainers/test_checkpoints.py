"""Checkpoints and exact resume, the data order, metric logs."""

from __future__ import annotations

import json

import pytest
import torch

from _trainer_helpers import tiny_overrides
from agentgym.trainers import checkpoints
from agentgym.trainers.metrics_log import MetricsLogger, read_metrics
from agentgym.trainers.weight_sync import sync_weights
from agentgym.trainers.config import ConfigError, load_config
from agentgym.trainers.run import train


def _metrics_without_timings(run_dir):
    return [{k: v for k, v in row.items() if not k.startswith("perf/") or k in ("perf/lr", "perf/tokens")}
            for row in read_metrics(run_dir)]


@pytest.mark.parametrize("algo", ["grpo", "ppo"])
def test_resume_continues_exactly(tmp_path, algo):
    method = "outcome" if algo == "grpo" else "turn_level"
    extra = ['credit.params={outcome="progress"}'] if algo == "grpo" else []
    straight = load_config(None, tiny_overrides(tmp_path / "straight", algo=algo, method=method, steps=4) + extra)
    result_a = train(straight)

    split = tiny_overrides(tmp_path / "split", algo=algo, method=method, steps=4) + extra
    # The interrupted run: 2 steps with a checkpoint at step 2 ...
    train(load_config(None, split + ["run.steps=2"]))
    assert checkpoints.latest_checkpoint(tmp_path / "split").name == "step_2"
    # ... then resume to 4, a fresh process' worth of objects (model, optimizer, RNG all from the checkpoint).
    torch.manual_seed(12345)  # whatever the global RNG holds now must not matter
    result_b = train(load_config(None, split), resume=True)

    params_a = dict(result_a.model.named_parameters())
    for name, p in result_b.model.named_parameters():
        assert torch.allclose(p, params_a[name], atol=1e-6, rtol=0), name
    if algo == "ppo":
        assert torch.allclose(result_b.trainer.value_head.linear.weight, result_a.trainer.value_head.linear.weight,
                              atol=1e-6)
    rows_a, rows_b = _metrics_without_timings(tmp_path / "straight"), _metrics_without_timings(tmp_path / "split")
    assert [r["step"] for r in rows_b] == [1, 2, 3, 4]
    for ra, rb in zip(rows_a, rows_b):
        assert ra.keys() == rb.keys()
        for k in ra:
            assert rb[k] == pytest.approx(ra[k], abs=1e-6), (ra["step"], k)


def test_resume_without_checkpoint_says_how_to_fix(tmp_path):
    cfg = load_config(None, tiny_overrides(tmp_path / "empty", algo="grpo"))
    with pytest.raises(ConfigError, match="no intact checkpoint under .* run without --resume"):
        train(cfg, resume=True)


def test_checkpoints_are_pruned_and_hold_the_state(tmp_path):
    cfg = load_config(None, tiny_overrides(tmp_path / "run", algo="sft", steps=3)
                      + ["run.save_every=1", "run.keep_checkpoints=2", "algo.oracle_episodes=4", "algo.batch_size=2"])
    result = train(cfg)
    assert [p.name for p in checkpoints.list_checkpoints(tmp_path / "run")] == ["step_2", "step_3"]
    state = checkpoints.load_trainer_state(result.checkpoint)
    assert state["step"] == 3
    assert set(state["rng"]) >= {"python", "numpy", "torch"}
    assert state["optimizer"]["state"], "AdamW moments must be saved"
    assert (result.checkpoint / "model" / "tokenizer.json").is_file()


def test_data_order_is_a_function_of_seed_and_step():
    from agentgym.core import Task
    from agentgym.trainers.data_order import tasks_for_step

    tasks = [Task(id=str(i), split="train") for i in range(5)]
    epoch0 = [t.id for s in range(5) for t in tasks_for_step(tasks, 1, seed=3, step=s)]
    assert sorted(epoch0) == ["0", "1", "2", "3", "4"]  # one epoch visits every task once
    assert [t.id for t in tasks_for_step(tasks, 2, 3, 1)] == epoch0[2:4]
    assert tasks_for_step(tasks, 3, 3, 7) == tasks_for_step(tasks, 3, 3, 7)
    assert [t.id for t in tasks_for_step(tasks, 5, 4, 0)] != epoch0  # another seed, another order


def test_data_order_is_pinned():
    # The order runs have always used (numpy's default_rng([seed, epoch]).permutation(n)); GRPO/RLOO/PPO tasks and
    # SFT demonstrations both follow it, so a change here changes what every existing config trains on.
    from agentgym.trainers.data_order import epoch_order, step_indices

    assert epoch_order(5, seed=3, epoch=0).tolist() == [4, 2, 1, 3, 0]
    assert epoch_order(5, seed=3, epoch=1).tolist() == [1, 4, 0, 2, 3]
    assert step_indices(5, 4, seed=3, step=1) == [0, 1, 4, 0]  # positions 4..7: epoch 0's last, then epoch 1's


def test_metrics_logger_drops_lines_after_the_resume_step(tmp_path):
    log = MetricsLogger(tmp_path, tensorboard=True)
    for s in (1, 2, 3):
        log.log(s, {"loss/policy": float(s), "rollout/success_rate": torch.tensor(0.5)})
    log.close()
    assert [r["step"] for r in read_metrics(tmp_path)] == [1, 2, 3]
    assert read_metrics(tmp_path)[0]["rollout/success_rate"] == 0.5
    assert list((tmp_path / "tb").glob("events.out.tfevents.*"))
    MetricsLogger(tmp_path, tensorboard=False, resume_step=2).close()
    assert [json.loads(line)["step"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()] == [1, 2]


def test_sync_weights_is_free_for_a_shared_model_and_refuses_others():
    model = torch.nn.Linear(2, 2)

    class Shared:
        pass

    shared = Shared()
    shared.model = model
    assert sync_weights(shared, model) == "shared"
    with pytest.raises(TypeError, match="neither shares the training model"):
        sync_weights(object(), model)


def test_sync_weights_hands_the_state_dict_to_load_weights():
    model = torch.nn.Linear(2, 3)
    received = []

    class Engine:  # VLLMPolicy's side of the contract
        def load_weights(self, named_tensors):
            received.extend(named_tensors)

    assert sync_weights(Engine(), model) == "loaded"
    assert [name for name, _ in received] == ["weight", "bias"]
    assert torch.equal(received[0][1], model.weight) and torch.equal(received[1][1], model.bias)


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_resume_is_exact_with_thread_and_process_env_runners(tmp_path, executor):
    # The straight run steps its envs inline; the interrupted-and-resumed one on another runner kind. Per-episode
    # sampling makes the runner irrelevant, and the resumed run must land on the same weights and metrics.
    extra = ['credit.params={outcome="progress"}']
    straight = train(load_config(None, tiny_overrides(tmp_path / "straight", algo="grpo", steps=4) + extra))
    split = tiny_overrides(tmp_path / "split", algo="grpo", steps=4) + extra + [f"rollout.executor={executor}"]
    train(load_config(None, split + ["run.steps=2"]))
    resumed = train(load_config(None, split), resume=True)
    params = dict(straight.model.named_parameters())
    for name, p in resumed.model.named_parameters():
        assert torch.allclose(p, params[name], atol=1e-6, rtol=0), name
    rows_a, rows_b = _metrics_without_timings(tmp_path / "straight"), _metrics_without_timings(tmp_path / "split")
    assert [r["step"] for r in rows_b] == [1, 2, 3, 4]
    for ra, rb in zip(rows_a, rows_b):
        assert ra.keys() == rb.keys()
        for k in ra:
            assert rb[k] == pytest.approx(ra[k], rel=1e-5, abs=1e-6), (k, ra["step"])
