import pytest
from toy_envs import CrashingEnv, GuessNumberEnv, SlowEnv, ThreadAffineGuessEnv, UnicodeImageEnv

from agentgym.policies.scripted import OraclePolicy, ScriptedPolicy
from agentgym.rollout import rollout, rollout_metrics
from agentgym.runners import RunnerPool
from agentgym.types import Completion, read_jsonl, write_jsonl


def test_oracle_rollout_groups_in_order_with_exact_turns():
    trajs = rollout(GuessNumberEnv, OraclePolicy(), ["guess/train/50", "guess/train/25"], group_size=3,
                    batch_size=4)
    assert [t.task_id for t in trajs] == ["guess/train/50"] * 3 + ["guess/train/25"] * 3
    assert [t.group for t in trajs] == [0, 0, 0, 1, 1, 1]
    assert [t.num_turns for t in trajs] == [1, 1, 1, 2, 2, 2]  # binary search: 50; then 50, 25
    assert [t.turns[-1].action for t in trajs[3:]] == ["25"] * 3
    assert all(t.success and t.terminated and not t.truncated and t.error is None for t in trajs)
    assert [t.answer for t in trajs] == ["50"] * 3 + ["25"] * 3
    assert trajs[3].messages[0].role == "system" and trajs[3].messages[1].content.startswith("I am thinking")
    assert [m.role for m in trajs[3].messages] == ["system", "user", "assistant", "user", "assistant"]
    assert [t.info["progress"] for t in trajs[3].turns] == [pytest.approx(1 - 48 / 99), 1.0]


def test_turn_limit_truncates_and_counts_invalid_actions():
    trajs = rollout(GuessNumberEnv, ScriptedPolicy(["no idea"]), ["guess/heldout/90"], max_turns=3)
    t = trajs[0]
    assert t.num_turns == 3 and t.truncated and not t.terminated and not t.success
    assert t.turns[-1].truncated and t.turns[-1].info["terminated_reason"] == "turn_limit"
    assert t.metadata["truncated_reason"] == "turn_limit"
    assert [turn.info["valid_action"] for turn in t.turns] == [False, False, False]
    m = rollout_metrics(trajs)
    assert m["rollout/invalid_action_rate"] == 1.0 and m["rollout/truncated_rate"] == 1.0
    # the env's own limit (10 turns) applies without max_turns
    assert rollout(GuessNumberEnv, ScriptedPolicy(["?"]), ["guess/heldout/90"])[0].num_turns == 10


@pytest.mark.parametrize("executor", ["inline", "thread", "process"])
def test_env_failure_is_recorded_and_its_runner_is_never_reused(executor):
    # Three episodes of the crashing task, one at a time: each crash must cost its runner; the healthy episode after
    # them runs on a fresh one.
    with RunnerPool(CrashingEnv, kind=executor) as pool:
        trajs = rollout(pool, OraclePolicy(), ["guess/train/10", "guess/train/20", "guess/train/50"], batch_size=1)
        assert pool.discarded == 2 and pool.created == 3
        ok = rollout(pool, OraclePolicy(), ["guess/train/50"], batch_size=1)[0]
        assert pool.created == 3  # the healthy runner of the last episode was kept and reused
    first, second, third = trajs
    for crashed in (first, second):
        assert crashed.error is not None and crashed.error.kind == "env_error"
        assert "sandbox died" in crashed.error.message and "RuntimeError" in crashed.error.traceback
        assert crashed.num_turns == 2 and crashed.turns[1].error == crashed.error and not crashed.success
    assert third.success and third.error is None and ok.success  # one turn: never reaches the crash
    assert rollout_metrics(trajs)["rollout/errors"] == 2.0


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_thread_affine_env_plays_under_thread_and_process_runners(executor):
    trajs = rollout(ThreadAffineGuessEnv, OraclePolicy(), ["guess/train/3", "guess/train/77", "guess/train/50"],
                    group_size=2, batch_size=3, executor=executor)
    assert [t.error for t in trajs] == [None] * 6
    assert all(t.success for t in trajs)
    assert [t.num_turns for t in trajs] == [5, 5, 7, 7, 1, 1]  # binary search on 3, 77 and 50


def test_thread_affine_env_fails_when_called_from_another_thread():
    # The check above is not vacuous: calling the env from a thread other than its creator's raises.
    import threading

    env = ThreadAffineGuessEnv()
    errors = []
    t = threading.Thread(target=lambda: errors.append(pytest.raises(RuntimeError, env.reset, seed=0)))
    t.start()
    t.join()
    assert "owned by thread" in str(errors[0].value)


def test_one_poisoned_conversation_in_a_batch_fails_alone():
    calls = []

    class Picky:
        """Raises on any batch that holds task 37's conversation (say, a prompt the server rejects)."""

        tokenizer = None

        def act(self, convs):
            calls.append(len(convs))
            if any(c.info.get("task_id") == "guess/train/37" for c in convs):
                raise ValueError("prompt rejected by the server")
            return [Completion(text=str((int(c.info.get("low", 1)) + 100) // 2)) for c in convs]

    trajs = rollout(GuessNumberEnv, Picky(), ["guess/train/50", "guess/train/37", "guess/train/75"], batch_size=3,
                    max_turns=1)
    assert [t.error.kind if t.error else None for t in trajs] == [None, "policy_error", None]
    assert "prompt rejected" in trajs[1].error.message and "ValueError" in trajs[1].error.traceback
    assert trajs[1].num_turns == 1 and trajs[1].turns[0].error == trajs[1].error
    assert [t.num_turns for t in trajs] == [1, 1, 1]
    assert calls == [3, 1, 1, 1]  # the batch, then each conversation alone once


def test_policy_failure_ends_only_the_failing_episodes_with_policy_errors():
    class Broken:
        tokenizer = None

        def act(self, convs):
            raise ConnectionError("server went away")

    trajs = rollout(GuessNumberEnv, Broken(), ["guess/train/5", "guess/train/6"])
    assert [t.error.kind for t in trajs] == ["policy_error", "policy_error"]
    assert all("server went away" in t.error.message for t in trajs)

    class Short:
        tokenizer = None

        def act(self, convs):
            return [Completion(text="1")]

    # Two conversations get one completion: the batch is retried one by one, where one completion is right.
    trajs = rollout(GuessNumberEnv, Short(), ["guess/train/1", "guess/train/6"], batch_size=2)
    assert [t.error for t in trajs] == [None, None] and trajs[0].success

    class Wrong:
        tokenizer = None

        def act(self, convs):
            return ["1" for _ in convs]

    trajs = rollout(GuessNumberEnv, Wrong(), ["guess/train/1"])
    assert "must return agentgym.types.Completion" in trajs[0].error.message


def test_unusable_observation_fails_its_episode_with_a_parse_error():
    class BadObservation(GuessNumberEnv):
        def _wrap_obs(self, text):
            return 42 if self.task.id == "guess/train/10" and self.turn == 1 else text

    trajs = rollout(BadObservation, OraclePolicy(), ["guess/train/10", "guess/train/25"])
    assert trajs[0].error.kind == "parse_error" and "not usable" in trajs[0].error.message
    assert "observations must be text" in trajs[0].error.message
    assert trajs[0].num_turns == 1 and trajs[0].turns[0].error == trajs[0].error
    assert trajs[1].success and trajs[1].error is None and trajs[1].num_turns == 2


def test_a_blocking_env_does_not_stall_the_batch():
    SlowEnv.delay = 0.3
    order = []

    class Watch(OraclePolicy):
        def act(self, convs):
            order.extend((c.info["task_id"], c.turn) for c in convs)
            return super().act(convs)

    trajs = rollout(SlowEnv, Watch(), ["guess/train/1", "guess/train/2", "guess/train/3", "guess/train/4"],
                    executor="thread", step_wait_s=0.02)
    slow, fast = trajs[0], trajs[1:]
    assert slow.success and slow.num_turns == 6 and all(t.success for t in fast)  # 50 25 12 6 3 1
    # Every fast episode played all its turns before the slow one got to act a second time.
    second_slow_turn = order.index(("guess/train/1", 1))
    assert all(order.index((t.task_id, t.num_turns - 1)) < second_slow_turn for t in fast), order


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_step_timeout_kills_the_runner_and_ends_the_episode_with_a_timeout_error(executor):
    SlowEnv.delay = 30.0
    with RunnerPool(SlowEnv, kind=executor) as pool:
        trajs = rollout(pool, OraclePolicy(), ["guess/train/1", "guess/train/50"], step_wait_s=0.05,
                        step_timeout_s=0.3)
        assert pool.discarded == 1
    assert trajs[0].error.kind == "timeout" and not trajs[0].success
    assert trajs[0].num_turns == 1 and trajs[0].turns[0].error == trajs[0].error
    assert trajs[1].success


def test_unicode_and_image_observations_round_trip_through_rollout_jsonl_and_report(tmp_path):
    from agentgym.report.html import write_report
    from agentgym.evaluation import eval_metrics

    trajs = rollout(UnicodeImageEnv, OraclePolicy(), ["guess/train/30"], executor="process")
    t = trajs[0]
    assert t.error is None and t.success and [turn.action for turn in t.turns] == ["50", "25", "37", "31", "28", "29",
                                                                                "30"]
    assert t.turns[0].observation == "Je pense à un nombre — 日本語 🙂 — entre 1 et 100."
    first = t.turns[0].images[0].array
    assert first.shape == (8, 100, 3) and first[:, :, 0].sum() == 8 * 100 * 255
    second = t.turns[1].images[0].array  # after guessing 50 (too high): 1..49 lit
    assert second[0, :, 0].tolist() == [255] * 49 + [0] * 51
    assert t.messages[1].images == t.turns[0].images and t.messages[1].text == t.turns[0].observation

    path = tmp_path / "trajectories.jsonl"
    write_jsonl(str(path), trajs)
    pngs = sorted(p.name for p in (tmp_path / "images").iterdir())
    assert len(pngs) == len({im.sha256 for turn in t.turns for im in turn.images} | {im.sha256 for im in t.final_images})
    back = read_jsonl(str(path))
    assert back == trajs
    assert (back[0].turns[1].images[0].array == second).all()
    assert "日本語 🙂" in path.read_text(encoding="utf-8")  # stored as characters, not escapes or '?'

    write_report(str(tmp_path / "report.html"), back, eval_metrics(back), title="visual")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "日本語 🙂" in html
    assert html.count("<img class='obs' src='images/") == t.num_turns + 1  # each turn's screen and the final one
