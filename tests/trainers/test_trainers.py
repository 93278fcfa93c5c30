"""Two-step smoke tests of every trainer on a tiny model (every trainable parameter changes, losses are finite),
every credit method at least once, and the config checks that must fail with a useful message."""

from __future__ import annotations

import math

import pytest
import torch

from _trainer_helpers import KEYWORD_ENV, tiny_overrides
from agentgym.trainers.config import ConfigError, load_config
from agentgym.trainers.run import train


def _initial_params(cfg):
    from agentgym.trainers.data_order import env_tasks
    from agentgym.trainers.model_setup import build_model_and_tokenizer

    train_tasks, _ = env_tasks(cfg.env)
    model, tokenizer = build_model_and_tokenizer(cfg, train_tasks)
    return model, tokenizer, {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def _run(tmp_path, algo, method, extra=()):
    if method in ("outcome", "info_gain") and not any(e.startswith("credit.params") for e in extra):
        # Success needs both turns right, rare for a random model; progress (hits / 2) varies within a group.
        extra = [*extra, 'credit.params={outcome="progress"}']
    cfg = load_config(None, tiny_overrides(tmp_path / "run", algo=algo, method=method) + list(extra))
    model, tokenizer, before = _initial_params(cfg)
    result = train(cfg, model=model, tokenizer=tokenizer)
    assert len(result.metrics) == 2
    for row in result.metrics:
        for k, v in row.items():
            if k.startswith("loss/"):
                assert math.isfinite(v), f"{k} = {v} at step {row['step']}"
    unchanged = [n for n, p in result.model.named_parameters() if torch.equal(p.detach(), before[n])]
    assert not unchanged, f"parameters that did not change: {unchanged}"
    return result


@pytest.mark.parametrize("method", ["outcome", "gigpo", "info_gain"])
def test_grpo_two_steps_changes_every_parameter(tmp_path, method):
    result = _run(tmp_path, "grpo", method)
    rows = result.metrics
    # Random replies hit the letter in some samples and not others: the groups carry signal.
    assert any(r["reward/groups_with_signal"] > 0 for r in rows)
    assert all(r["rollout/episodes"] == 8.0 for r in rows)
    assert any(abs(r["loss/policy"]) > 0 for r in rows)
    # each step's episodes are kept with the advantage every turn got, for the trajectory viewer
    from agentgym.types import read_jsonl

    kept = read_jsonl(str(result.run_dir / "rollouts" / "step_2.jsonl"))
    assert len(kept) == 8 and all(len(t.metadata["turn_advantages"]) == t.num_turns for t in kept)


@pytest.mark.parametrize("method", ["turn_level", "progress"])
def test_rloo_two_steps_changes_every_parameter(tmp_path, method):
    result = _run(tmp_path, "rloo", method)
    if method == "progress":
        assert all("loss/progress_estimator" in r for r in result.metrics)
        assert (result.run_dir / "checkpoints" / "step_2" / "progress_estimator.pt").is_file()


def test_grpo_with_kl_to_reference(tmp_path):
    result = _run(tmp_path, "grpo", "outcome", ["algo.kl_coef=0.1", "algo.entropy_coef=0.01"])
    # Step 1 runs at the reference weights: KL 0. Step 2 runs after one update: KL > 0.
    assert result.metrics[0]["loss/kl"] == pytest.approx(0.0, abs=1e-6)
    assert result.metrics[1]["loss/kl"] > 0
    assert (result.run_dir / "reference" / "config.json").is_file()


def test_ppo_two_steps_changes_every_parameter_and_value_head(tmp_path):
    result = _run(tmp_path, "ppo", "gated", ['credit.params={threshold=0.0}'])
    head = result.trainer.value_head.linear
    assert head.weight.abs().sum() > 0  # it starts at zero
    assert all(math.isfinite(r["loss/value"]) for r in result.metrics)
    # The value head is part of the checkpoint.
    state = torch.load(result.checkpoint / "trainer_state.pt", weights_only=False)
    assert torch.equal(state["modules"]["value_head"]["linear.weight"], head.weight.detach())


def test_sft_two_steps_changes_every_parameter_and_lowers_loss(tmp_path):
    cfg = load_config(None, tiny_overrides(tmp_path / "run", algo="sft", steps=6)
                      + ["algo.oracle_episodes=8", "algo.batch_size=8"])
    model, tokenizer, before = _initial_params(cfg)
    result = train(cfg, model=model, tokenizer=tokenizer)
    unchanged = [n for n, p in result.model.named_parameters() if torch.equal(p.detach(), before[n])]
    assert not unchanged
    losses = [r["loss/sft"] for r in result.metrics]
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < losses[0]  # the same 8 demonstrations every step: the loss must fall
    assert result.metrics[0]["rollout/oracle_success_rate"] == 1.0


def test_sft_random_demonstrator_plays_valid_actions_of_every_kind(tmp_path):
    # Kuhn poker lists its legal moves: the random demonstrations are all legal and cover the four actions, where the
    # oracle's (Kuhn's equilibrium) are a different set of games.
    base = tiny_overrides(tmp_path / "run", algo="sft", steps=1) + [
        'env.id="agentgym/KuhnPoker-v0"', "env.max_turns=4", "algo.oracle_episodes=32", "algo.batch_size=8"]
    demos = {}
    for who in ("random", "oracle"):
        cfg = load_config(None, base + [f'algo.demonstrator="{who}"', f'run.out_dir="{tmp_path / who}"'])
        demos[who] = train(cfg).trainer.demos
    turns = [t for d in demos["random"] for t in d.turns]
    assert all(t.info["valid_action"] for t in turns)
    assert {t.action for t in turns} == {"bet", "check", "call", "fold"}
    assert [[t.action for t in d.turns] for d in demos["random"]] != [[t.action for t in d.turns]
                                                                        for d in demos["oracle"]]


def test_sft_random_demonstrator_needs_listed_actions(tmp_path):
    # KeywordEnv lists no valid actions: random strings would be demonstrations of nothing.
    cfg = load_config(None, tiny_overrides(tmp_path / "run", algo="sft", steps=1)
                      + ["algo.oracle_episodes=4", 'algo.demonstrator="random"'])
    with pytest.raises(ConfigError, match='needs an env that lists its valid actions in info\\["admissible_actions"\\]'):
        train(cfg)
    with pytest.raises(ConfigError, match='algo.demonstrator = \'expert\' is invalid'):
        load_config(None, tiny_overrides(tmp_path / "run", algo="sft") + ['algo.demonstrator="expert"'])


# ---------------------------------------------------------------------------------------------------------------------
# Config validation
# ---------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("overrides, message", [
    (["rollout.group_size=1"], "rollout.group_size must be >= 2 for group-relative advantages (GRPO), got 1"),
    (['algo.name="rloo"', "rollout.group_size=1"], "leave-one-out baseline (RLOO), got 1"),
    (['algo.name="ppo"', 'credit.method="gigpo"'], "credit.method = 'gigpo' returns per-turn advantages"),
    (["algo.lr=-1.0"], "algo.lr = -1.0 is invalid: use a positive learning rate"),
    (['algo.lr="fast"'], "algo.lr = 'fast' must be a number, got str"),
    (["algo.lrr=1e-3"], "unknown config key 'algo.lrr' in [algo]. Did you mean 'algo.lr'?"),
    (['credit.method="magic"'], "credit.method = 'magic' is not allowed; use one of"),
    (["credit.params={thresh=1}", 'credit.method="gated"'], "credit.params.thresh is not a setting of credit method "
                                                              "'gated'"),
    (['algo.name="dpo"'], "algo.name = 'dpo' is not a trainer"),
    (["run.steps=0"], "run.steps = 0 is invalid"),
    (["rollout.temperature=0"], "rollout.temperature = 0.0 is invalid"),
    (["steps=3"], "override key 'steps' must name its section"),
    (["run.steps"], "override 'run.steps' must look like section.key=value"),
    (["run.progress_bar=1"], "run.progress_bar = 1 must be true or false"),
])
def test_config_errors_name_the_key_and_the_fix(overrides, message):
    with pytest.raises(ConfigError) as err:
        load_config(None, overrides)
    assert message in str(err.value)


def test_overrides_are_typed_and_reach_the_config(tmp_path):
    cfg = load_config("configs/tiny_ppo.toml", ["algo.lam=1", "env.kwargs={level=\"medium\"}", "model.name=smollm2",
                                                "algo.value_clip=0.5"])
    assert cfg.algo.lam == 1.0 and isinstance(cfg.algo.lam, float)
    assert cfg.env.kwargs == {"level": "medium"}
    assert cfg.model.name == "smollm2"  # a bare word is a string
    assert cfg.algo.value_clip == 0.5
    assert type(cfg.algo).__module__ == "agentgym.trainers.ppo"


def test_every_recipe_loads_and_names_its_command():
    from pathlib import Path

    recipes = sorted(Path("configs").glob("*.toml"))
    assert len(recipes) >= 5
    for path in recipes:
        first = path.read_text().splitlines()[0]
        # "# agentgym train configs/x.toml", or a chain ending with it (the RL recipes start from tiny_sft's run)
        assert first.startswith("# agentgym train ") and first.endswith(f"agentgym train {path.as_posix()}"), (
            f"{path}: first line is {first!r}")
        load_config(path)


def test_ppo_refuses_advantage_only_credit_at_runtime_too(tmp_path):
    # The config check covers gigpo; the runtime check covers any result without rewards.
    from agentgym.trainers.credit_step import CreditStep
    from agentgym.trainers.credit import CreditResult

    step = CreditStep.__new__(CreditStep)
    step.method = "custom"
    step.results = lambda groups: [CreditResult(advantages=[[1.0]])]
    with pytest.raises(ConfigError, match="PPO's GAE cannot use"):
        step.turn_rewards([[object()]])


def test_keyword_env_is_registered():
    import agentgym

    assert KEYWORD_ENV in agentgym.list_envs()


def test_progress_estimator_fits_a_fixed_set_before_rl(tmp_path):
    # SPA's offline stage: oracle trajectories written by evaluation (text only) are tokenised and fitted first.
    from agentgym.evaluation import evaluate
    from agentgym.policies.scripted import OraclePolicy

    data = tmp_path / "oracle"
    evaluate(KEYWORD_ENV, OraclePolicy(), split="train", out_dir=str(data))
    result = _run(tmp_path, "rloo", "progress", [f'credit.progress_fit_data="{data}/trajectories.jsonl"',
                                                 "credit.progress_fit_steps=30", "credit.progress_lr=1e-3"])
    losses = result.trainer.credit.offline_fit_losses
    assert len(losses) == 30 and all(math.isfinite(v) for v in losses)
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5  # the fit made progress on the fixed set


def test_progress_fit_data_that_does_not_exist_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist; point it at a trajectories.jsonl"):
        _run(tmp_path, "rloo", "progress", ['credit.progress_fit_data="/nonexistent/t.jsonl"'])


def test_errored_episodes_are_dropped_or_trained_with_the_penalty(tmp_path):
    from _trainer_helpers import CRASHY_KEYWORD_ENV

    from agentgym.trainers.rollouts import group_trajectories, penalised_error
    from agentgym.trainers.credit import episode_outcome
    from agentgym.types import read_jsonl

    base = tiny_overrides(tmp_path / "run", algo="grpo", steps=1) + [f'env.id="{CRASHY_KEYWORD_ENV}"',
                                                                      'credit.params={outcome="progress"}']
    kept = train(load_config(None, base + ["rollout.drop_errors=false", "rollout.error_penalty=-1.0",
                                           'run.out_dir="' + str(tmp_path / "kept") + '"']))
    row = kept.metrics[0]
    assert row["rollout/errors"] > 0 and math.isfinite(row["loss/policy"])
    episodes = read_jsonl(str(kept.run_dir / "rollouts" / "step_1.jsonl"))
    assert len(episodes) == 8  # every episode, errored ones included, reached the update
    penalised = [t for t in episodes if t.error is not None]
    assert penalised and all(t.metadata["error_penalty"] == -1.0 and t.total_reward == -1.0 for t in penalised)

    dropped = train(load_config(None, base + ['run.out_dir="' + str(tmp_path / "dropped") + '"']))
    path = dropped.run_dir / "rollouts" / "step_1.jsonl"
    n_trained = len(read_jsonl(str(path))) if path.exists() else 0  # no file: nothing was left to train on
    assert n_trained == 8 - int(dropped.metrics[0]["rollout/errors"])

    # The copy: the crashing turn (which has its tokens) keeps them and is rewarded the penalty; the outcome is the
    # penalty for every outcome source; a last turn without tokens (a policy error) is left out.
    from agentgym.types import Trajectory, Turn, TurnError

    err = TurnError("env_error", "boom")
    t = Trajectory(env_id="e", task_id="t", turns=[
        Turn(index=0, observation="o", action="a", reward=1.0, prompt_ids=[1], completion_ids=[2], logprobs=[-1.0]),
        Turn(index=1, observation="o", action="", error=err)], error=err, success=True)
    p = penalised_error(t, -0.5)
    assert [turn.reward for turn in p.turns] == [-0.5] and not p.success and t.success and t.num_turns == 2
    assert [episode_outcome(p, s) for s in ("success", "total_reward", "progress")] == [-0.5] * 3
    assert group_trajectories([t], drop_errors=True) == []
    assert group_trajectories([t], drop_errors=False, error_penalty=-0.5) == [[p]]


@pytest.mark.parametrize("algo", ["grpo", "rloo", "ppo"])
def test_importance_ratio_is_one_on_the_first_epoch(tmp_path, algo):
    # The rollout's logprobs (HFPolicy) and the trainer's recomputed ones describe the same weights: before the first
    # optimizer step every ratio p / p_old is 1, so nothing is clipped and the k3 estimate of KL(old || new) is 0.
    cfg = load_config(None, tiny_overrides(tmp_path / "run", algo=algo, steps=1) + ['credit.params={outcome="progress"}'])
    row = train(cfg).metrics[0]
    assert row["loss/approx_kl"] == pytest.approx(0.0, abs=1e-6)
    assert row["loss/clip_frac"] == 0.0


@pytest.mark.parametrize("algo", ["grpo", "rloo", "ppo"])
def test_one_step_raises_the_probability_of_the_rewarded_actions(tmp_path, algo):
    # A flipped advantage sign, or a value baseline that peeks at the action, would lower or scramble it.
    from _trainer_helpers import PICK_ENV

    from agentgym.chat import ChatTokenizer
    from agentgym.types import Message

    overrides = tiny_overrides(tmp_path / "run", algo=algo, steps=1) + [
        f'env.id="{PICK_ENV}"', "rollout.max_new_tokens=1", "rollout.group_size=8", "rollout.tasks_per_step=4",
        "algo.lr=3e-3", "model.tiny_corpus_episodes=4"]
    cfg = load_config(None, overrides)
    model, tokenizer, _ = _initial_params(cfg)
    chat = ChatTokenizer(tokenizer)
    prompt = torch.tensor([chat.start_ids([Message("system", "Say a word with the letter a, like banana or cat."),
                                           Message("user", "Your word?")])])
    rewarded = torch.tensor(["a" in tokenizer.decode([i]).lower() for i in range(model.config.vocab_size)])

    def mass_on_rewarded(m):
        with torch.no_grad():
            return float(torch.softmax(m(prompt).logits[0, -1].float(), -1)[rewarded].sum())

    before = mass_on_rewarded(model)
    result = train(cfg, model=model, tokenizer=tokenizer)
    assert result.metrics[0]["reward/groups_with_signal"] > 0  # some samples hit, some missed
    after = mass_on_rewarded(result.model)
    assert after > before, (before, after)


@pytest.mark.parametrize("algo, method", [("grpo", "outcome"), ("grpo", "gigpo"), ("grpo", "info_gain"),
                                          ("rloo", "turn_level"), ("rloo", "progress"), ("ppo", "gated"),
                                          ("sft", "outcome")])
def test_every_trainer_and_credit_method_trains_with_windowed_history(tmp_path, algo, method):
    # window_turns=0: the second turn is prompted with the task and the env's last reply only, so each turn is its
    # own training row and differs from the full-history layout.
    extra = ["rollout.history=\"window\"", "rollout.window_turns=0"]
    if method == "gated":
        extra.append("credit.params={threshold=0.0}")
    if algo == "sft":
        extra += ["algo.oracle_episodes=4", "algo.batch_size=4"]
    result = _run(tmp_path, algo, method, extra)
    if algo != "sft":
        from agentgym.types import read_jsonl

        kept = read_jsonl(str(result.run_dir / "rollouts" / "step_2.jsonl"))
        assert all(t.history == "window" and len(t.token_rows()) == t.num_turns == 2 for t in kept)
        from agentgym.chat import ChatTokenizer
        from agentgym.types import Message

        chat = ChatTokenizer(result.tokenizer)
        for t in kept:  # turn 1 was prompted with the system prompt, the task and the env's reply: no action
            system, task, _action, reply = t.messages[:4]
            assert t.turns[1].prompt_ids == chat.start_ids([system, task, reply])
            assert reply.role == "user" and _action.role == "assistant" and isinstance(system, Message)


@pytest.mark.parametrize("max_turns, cut", [(1, 1.0), (2, 0.0)])
def test_ppo_bootstraps_every_episode_the_turn_limit_cut(tmp_path, max_turns, cut):
    # KeywordEnv ends (terminates) after 2 turns: a 1-turn limit cuts every episode, a 2-turn limit none.
    cfg = load_config(None, tiny_overrides(tmp_path / "run", algo="ppo", steps=1) + [f"env.max_turns={max_turns}"])
    row = train(cfg).metrics[0]
    assert row["rollout/truncated_rate"] == cut
    assert row["reward/bootstrapped_frac"] == cut
