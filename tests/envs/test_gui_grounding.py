"""agentgym/GUIGrounding-v0 in the real Chromium: generated boxes, occlusion, oracle, random policy, ScreenSpot files."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

import agentgym
from agentgym import testing
from agentgym.envs.gui.grounding import tasks as gtasks
from agentgym.envs.gui.grounding.env import GUIGroundingEnv, export_screenspot_pro
from agentgym.envs.gui.grounding.generator import _COLLECT_JS, ScreenRenderer, select_elements
from agentgym.envs.gui.grounding.screenspot import load_screenspot
from agentgym.types import pixels_sha256, png_bytes


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("gui-cache")


@pytest.fixture(scope="module")
def env(cache):
    e = GUIGroundingEnv(cache_dir=cache)
    yield e
    e.close()


def _play(env, task, answer):
    env.reset(options={"task": task})
    return env.step(answer(env))


def test_splits_hold_unseen_templates_themes_and_icon_sets():
    suite = GUIGroundingEnv.suite
    assert suite.overlaps() == []
    train, heldout = suite.split("train"), suite.split("heldout")
    assert (len(train), len(heldout)) == (2000, 120)
    for key in ("template", "theme", "icon_set"):
        seen = {t.params["screen"][key] for t in train}
        assert seen.isdisjoint({t.params["screen"][key] for t in heldout}), key
    assert {t.params["screen"]["viewport"] for t in heldout} == {"phone", "laptop", "desktop"}
    assert gtasks.build_suite().split("heldout") == heldout  # deterministic


def test_oracle_solves_every_heldout_task_and_targets_are_drawn(env):
    rewards = []
    for task in env.suite.split("heldout"):
        obs, info = env.reset(options={"task": task})
        image = obs["images"][0]
        x1, y1, x2, y2 = (int(v) for v in env._target)
        assert 0 <= x1 < x2 <= image.shape[1] and 0 <= y1 < y2 <= image.shape[0], task.id
        # the target is drawn: pixels inside its box differ from the page background
        bg = np.array(env.renderer.load(gtasks.spec_from_params(task.params))[0].background, dtype=np.int16)
        region = image[y1:y2, x1:x2].astype(np.int16)
        assert (np.abs(region - bg).sum(axis=2) > 30).any(), task.id
        _, r, term, trunc, info = env.step(env.oracle_action())
        assert (term, trunc, info["success"], info["valid_action"]) == (True, False, True, True), task.id
        rewards.append(r)
    assert rewards == [1.0] * 120


def test_train_screens_targets_are_drawn(env):
    for i in range(0, 400, 40):  # one screen of each template, several viewports
        screen, pixels = env.renderer.load(gtasks.screen_spec("train", i))
        assert len(screen.elements) >= 3, screen.spec
        labels = [(e.ui_type, e.label.lower()) for e in screen.elements]
        assert len(set(labels)) == len(labels)  # every instruction names one element
        bg = np.array(screen.background, dtype=np.int16)
        for e in screen.elements:
            x1, y1, x2, y2 = e.box
            assert (np.abs(pixels[y1:y2, x1:x2].astype(np.int16) - bg).sum(axis=2) > 30).any(), (screen.spec, e)


def test_random_policy_far_below_oracle(env):
    rng = random.Random(0)
    hits = []
    for task in env.suite.split("heldout"):
        obs, _ = env.reset(options={"task": task})
        h, w = obs["images"][0].shape[:2]
        _, r, *_ , info = env.step(f"click({rng.uniform(0, w):.1f}, {rng.uniform(0, h):.1f})")
        hits.append(info["success"])
    rate = sum(hits) / len(hits)
    # measured: 0/120 (uniform random clicks over the screenshot, seed 0); targets cover ~0.5% of a screen
    assert rate <= 0.06, rate


def test_gui_g2_reward_in_the_env(cache):
    env = GUIGroundingEnv(cache_dir=cache, reward="gui_g2")
    try:
        task = env.suite.split("heldout")[0]
        env.reset(options={"task": task})
        x1, y1, x2, y2 = env._target
        _, r, _, _, info = env.step(env.oracle_action())
        assert (r, info["point_reward"], info["coverage_reward"]) == (1.0, 1.0, 0.0)
        env.reset(options={"task": task})
        _, r, _, _, info = env.step(f"[{x1}, {y1}, {x2}, {y2}]")
        assert r == pytest.approx(2.0) and info["success"]
        env.reset(options={"task": task})  # one sigma right of the centre: the edge of the box, still a hit
        _, r, _, _, info = env.step(f"click({x2}, {(y1 + y2) / 2})")
        assert r == pytest.approx(np.exp(-0.5)) and info["success"]
        env.reset(options={"task": task})
        _, r, term, _, info = env.step("I think it is the blue one")
        assert (r, term, info["valid_action"], info["success"]) == (0.0, True, False, False)
    finally:
        env.close()


def test_shrunk_observation_maps_answers_back(cache):
    env = GUIGroundingEnv(cache_dir=cache, max_pixels=320 * 200)
    try:
        obs, _ = env.reset(options={"task": env.suite.split("heldout")[5]})
        h, w = obs["images"][0].shape[:2]
        assert h * w <= 320 * 200 and f"{w}x{h} pixels" in obs["text"]
        _, r, *_ = env.step(env.oracle_action())
        assert r == 1.0
    finally:
        env.close()


def test_covered_hidden_offscreen_and_duplicate_elements_are_dropped(cache):
    r = ScreenRenderer(cache)
    try:
        page = r._page("laptop", 2.0)
        page.set_content("""<body style="margin:0">
          <button data-gt="text" data-label="Covered" data-role="button" style="position:absolute;left:10px;top:10px">Covered</button>
          <div style="position:absolute;left:0;top:0;width:200px;height:60px;background:#333"></div>
          <button data-gt="text" data-label="Shown" data-role="button" style="position:absolute;left:300px;top:10px;width:80px;height:30px">Shown</button>
          <button data-gt="text" data-label="Away" data-role="button" style="position:absolute;left:3000px;top:10px">Away</button>
          <button data-gt="text" data-label="Gone" data-role="button" style="visibility:hidden">Gone</button>
          <a data-gt="text" data-label="Twice" data-role="link" style="position:absolute;left:10px;top:200px">Twice</a>
          <a data-gt="text" data-label="twice" data-role="link" style="position:absolute;left:10px;top:300px">twice</a>
        </body>""")
        els = select_elements(page.evaluate(_COLLECT_JS), 2.0, (2560, 1600))
        assert [(e.label, e.box) for e in els] == [("Shown", (600, 20, 760, 80))]  # CSS box x2: device pixels
    finally:
        r.close()


def test_rendering_is_deterministic(tmp_path):
    spec = gtasks.screen_spec("heldout", 3)
    shas = []
    for i in range(2):
        r = ScreenRenderer(tmp_path / str(i))
        try:
            screen, pixels = r.render(spec)
            shas.append((pixels_sha256(pixels), screen.elements))
        finally:
            r.close()
    assert shas[0] == shas[1]


def test_screenspot_v1_and_pro_files(tmp_path):
    img = np.zeros((100, 200, 3), dtype=np.uint8)
    img[20:40, 50:90] = 255
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.png").write_bytes(png_bytes(img))
    v1 = [{"img_filename": "a.png", "bbox": [50, 20, 40, 20], "instruction": "click the white box",
           "data_type": "icon", "data_source": "ios"}]
    pro = [{"img_filename": "a.png", "bbox": [50, 20, 90, 40], "instruction": "click the white box",
            "instruction_cn": "点击白框", "id": "app_macos_0", "application": "app", "platform": "macos",
            "img_size": [200, 100], "ui_type": "icon", "group": "Dev"}]
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "screenspot_mobile_v2.json").write_text(json.dumps(v1))
    (tmp_path / "ann" / "app_macos.json").write_text(json.dumps(pro))
    a = load_screenspot(tmp_path / "ann" / "screenspot_mobile_v2.json")
    b = load_screenspot(tmp_path / "ann" / "app_macos.json")
    assert a[0].box == b[0].box == (50.0, 20.0, 90.0, 40.0)  # x, y, w, h -> corners
    assert (b[0].img_size, b[0].group, b[0].id, a[0].platform) == ((200, 100), "Dev", "app_macos_0", "ios")
    env = GUIGroundingEnv(screenspot=tmp_path / "ann" / "app_macos.json", cache_dir=tmp_path / "c")
    try:
        obs, info = env.reset(options={"split": "screenspot"})
        assert info["task_id"] == "screenspot/app_macos_0" and obs["images"][0].shape == (100, 200, 3)
        _, r, *_ = env.step("click(70, 30)")
        assert r == 1.0
        env.reset(options={"split": "screenspot"})
        _, r, *_ = env.step("click(91, 30)")
        assert r == 0.0
    finally:
        env.close()
    with pytest.raises(ValueError, match="no area"):
        (tmp_path / "bad.json").write_text(json.dumps([dict(pro[0], bbox=[50, 20, 40, 10])]))
        load_screenspot(tmp_path / "bad.json")


def test_generated_split_exports_in_screenspot_pro_schema_and_reloads(env, tmp_path):
    path = export_screenspot_pro(env, "heldout", tmp_path)
    records = json.loads(open(path).read())
    assert len(records) == 120 and set(records[0]) == {"img_filename", "bbox", "instruction", "id", "application",
                                                       "platform", "img_size", "ui_type", "group"}
    samples = load_screenspot(path)
    again = GUIGroundingEnv(screenspot=path, cache_dir=tmp_path / "c")
    try:
        for task, s in zip(env.suite.split("heldout")[:10], samples[:10]):
            env.reset(options={"task": task})
            assert s.box == tuple(env._target) and s.id == task.id
            obs, _ = again.reset(options={"task": f"screenspot/{task.id}"})
            _, r, *_ = again.step(again.oracle_action())
            assert r == 1.0
    finally:
        again.close()


def test_check_env_and_make(cache):
    testing.check_env(lambda: GUIGroundingEnv(cache_dir=cache, screens_per_split=2), n_random_actions=300)
    e = agentgym.make("agentgym/GUIGrounding-v0", cache_dir=str(cache))
    try:
        obs, info = e.reset(seed=0)
        assert obs["images"][0].dtype == np.uint8 and info["task_id"].startswith("gui-grounding/train/")
    finally:
        e.close()


def test_cdp_screenshot_has_playwrights_pixels(cache):
    from agentgym.types import decode_png

    r = ScreenRenderer(cache)
    try:
        spec = gtasks.screen_spec("heldout", 1)
        screen, pixels = r.render(spec)
        page = r._page(spec.viewport, spec.scale)
        assert (decode_png(page.screenshot(type="png")) == pixels).all()
        assert pixels.shape[:2] == (screen.size[1], screen.size[0])
    finally:
        r.close()
