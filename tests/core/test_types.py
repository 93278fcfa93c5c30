import json
import math
import pytest

from agentgym.types import Message, Trajectory, Turn, TurnError, read_jsonl, write_jsonl


def _traj() -> Trajectory:
    return Trajectory(
        env_id="agentgym/TextAdventure-v0", task_id="t/1", seed=3, group=2,
        messages=[Message("system", "sys"), Message("user", "obs0"), Message("assistant", "go north")],
        turns=[
            Turn(index=0, observation="obs0", action="go north", reward=1.0, info={"progress": 0.5, "valid_action": True},
                 prompt_ids=[1, 2, 3], completion_ids=[7, 8], logprobs=[-0.1234567890123, -1e-9]),
            Turn(index=1, observation="obs1 \u00e9", action="take key", reward=0.25, terminated=True,
                 info={"progress": 1.0, "nested": {"a": [1, 2]}}, prompt_ids=[4], completion_ids=[9, 10, 11],
                 logprobs=[-0.5, -0.25, -math.pi], error=TurnError("env_error", "boom", "tb")),
        ],
        terminated=True, success=True, answer="banana", error=TurnError("timeout", "slow"), metadata={"k": 1},
    )


def test_trajectory_roundtrips_through_jsonl_without_loss(tmp_path):
    t = _traj()
    path = tmp_path / "t.jsonl"
    write_jsonl(str(path), [t, t])
    back = read_jsonl(str(path))
    assert back == [t, t]
    assert back[0].turns[1].logprobs[2] == -math.pi  # floats survive bit for bit
    assert json.loads(path.read_text().splitlines()[0])["turns"][1]["error"]["kind"] == "env_error"


def test_token_views_concatenate_turns_with_policy_mask():
    t = _traj()
    assert t.token_ids() == [1, 2, 3, 7, 8, 4, 9, 10, 11]
    assert t.loss_mask() == [0, 0, 0, 1, 1, 0, 1, 1, 1]
    assert t.completion_spans() == [(3, 5), (6, 9)]
    assert t.old_logprobs() == [0.0, 0.0, 0.0, -0.1234567890123, -1e-9, 0.0, -0.5, -0.25, -math.pi]
    assert t.total_reward == 1.25 and t.num_turns == 2 and t.progress == 1.0


def test_text_only_trajectory_says_how_to_get_tokens():
    t = Trajectory(env_id="e/E-v0", task_id="x", turns=[Turn(index=0, observation="o", action="a")])
    try:
        t.token_ids()
    except ValueError as e:
        assert "tokenize_trajectory" in str(e)
    else:
        raise AssertionError("token_ids() on a text-only trajectory must raise")


def test_images_round_trip_as_png_files_or_embedded(tmp_path):
    import numpy as np

    from agentgym.types import Image, ImagePart, Observation, TextPart

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
    obs = Observation.parse({"text": "écran 🙂", "images": [pixels, pixels.copy()]})
    assert obs.images[0] == obs.images[1] and obs.key() == ("écran 🙂", (obs.images[0].sha256,) * 2)
    t = Trajectory(env_id="e", task_id="t", messages=[Message("user", obs.content())],
                   turns=[Turn(index=0, observation=obs.text, action="a", images=obs.images)],
                   final_images=[Image(255 - pixels)])
    assert t.messages[0].content == [ImagePart(obs.images[0]), ImagePart(obs.images[1]), TextPart("écran 🙂")]
    assert t.messages[0].to_dict() == {"role": "user", "content": [{"type": "image"}, {"type": "image"},
                                                                    {"type": "text", "text": "écran 🙂"}]}
    # In a JSONL file: one PNG per distinct image, beside it, named by the hash; the pixels come back exactly.
    path = tmp_path / "run" / "trajectories.jsonl"
    path.parent.mkdir()
    write_jsonl(str(path), [t])
    assert sorted(p.name for p in (path.parent / "images").iterdir()) == sorted(
        {f"{obs.images[0].sha256}.png", f"{t.final_images[0].sha256}.png"})
    back = read_jsonl(str(path))[0]
    assert back == t and np.array_equal(back.turns[0].images[0].array, pixels)
    assert np.array_equal(back.final_images[0].array, 255 - pixels)
    assert json.loads(path.read_text())["turns"][0]["images"][0]["path"] == f"images/{obs.images[0].sha256}.png"
    # Alone (no file), an image is embedded as a base64 PNG and still round-trips.
    again = Trajectory.from_json(t.to_json())
    assert np.array_equal(again.turns[0].images[0].array, pixels) and again == t
    # A PNG replaced behind the trajectory's back is detected, not silently read.
    (path.parent / "images" / f"{obs.images[0].sha256}.png").write_bytes(
        (path.parent / "images" / f"{t.final_images[0].sha256}.png").read_bytes())
    with pytest.raises(ValueError, match="does not hold the pixels"):
        read_jsonl(str(path))[0].turns[0].images[0].array


def test_observations_that_are_not_text_or_text_and_images_are_refused():
    import numpy as np

    from agentgym.types import Observation

    with pytest.raises(TypeError, match="observations must be text"):
        Observation.parse(42)
    with pytest.raises(ValueError, match=r"shape \(4, 4\)"):
        Observation.parse({"text": "x", "images": [np.zeros((4, 4), dtype=np.uint8)]})
    with pytest.raises(ValueError, match="dtype float64"):
        Observation.parse({"text": "x", "images": [np.zeros((4, 4, 3))]})


def test_windowed_history_and_final_prompt_ids_round_trip(tmp_path):
    from agentgym.types import Trajectory, Turn, read_jsonl, write_jsonl

    t = Trajectory(env_id="e", task_id="t", history="window", final_prompt_ids=[1, 2, 9],
                   turns=[Turn(0, "o", "a", prompt_ids=[1, 2], completion_ids=[3], logprobs=[-0.5]),
                          Turn(1, "o", "b", prompt_ids=[1, 2, 5], completion_ids=[6, 7], logprobs=[-0.1, -0.2])],
                   truncated=True)
    write_jsonl(str(tmp_path / "t.jsonl"), [t])
    back, = read_jsonl(str(tmp_path / "t.jsonl"))
    assert back == t
    rows = back.token_rows(with_final=True)
    assert [(r.ids, r.mask, r.logprobs, r.spans, r.turns, r.ends_in_final_state) for r in rows] == [
        ([1, 2, 3], [0, 0, 1], [0.0, 0.0, -0.5], [(2, 3)], [0], False),
        ([1, 2, 5, 6, 7], [0, 0, 0, 1, 1], [0.0, 0.0, 0.0, -0.1, -0.2], [(3, 5)], [1], False),
        ([1, 2, 9], [0, 0, 0], [0.0, 0.0, 0.0], [], [], True)]
    assert len(back.token_rows()) == 2  # without with_final the final state is not laid out
