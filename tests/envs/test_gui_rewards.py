"""GUI-G2 and point-in-box rewards: hand-worked values, and agreement with GUI-G2's matrix formulas."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from agentgym.envs.gui.grounding.actions import parse_grounding
from agentgym.envs.gui.grounding.rewards import (
    bhattacharyya_distance, check_box, gaussian_coverage_reward, gaussian_point_reward, point_in_box, score,
)

TARGET = (0.0, 0.0, 100.0, 50.0)  # centre (50, 25); sigma_x = 0.5 * 100 = 50, sigma_y = 0.5 * 50 = 25


def test_point_in_box_edges_count():
    assert point_in_box((50, 25), TARGET) and point_in_box((0, 0), TARGET) and point_in_box((100, 50), TARGET)
    assert not point_in_box((100.01, 25), TARGET) and not point_in_box((50, -0.5), TARGET)


@pytest.mark.parametrize("point, expected", [
    ((50, 25), 1.0),                      # the centre: exp(0)
    ((100, 25), math.exp(-0.5)),          # one sigma in x: exp(-1/2 * 1) = 0.60653...
    ((50, 0), math.exp(-0.5)),            # one sigma in y (25 px)
    ((100, 50), math.exp(-1.0)),          # one sigma on both axes: exp(-1/2 * 2) = 0.36788...
    ((150, 25), math.exp(-2.0)),          # two sigmas in x: exp(-1/2 * 4)
])
def test_gaussian_point_reward_by_hand(point, expected):
    assert gaussian_point_reward(point, TARGET) == pytest.approx(expected, abs=1e-12)


def test_coverage_by_hand():
    assert gaussian_coverage_reward(TARGET, TARGET) == pytest.approx(1.0, abs=1e-12)
    # same size, shifted 50 px right: x variances 2500 and 2500, d = 50 -> 50^2 / (4 * 5000) = 0.125; ln term 0
    assert bhattacharyya_distance((50, 0, 150, 50), TARGET) == pytest.approx(0.125, abs=1e-12)
    assert gaussian_coverage_reward((50, 0, 150, 50), TARGET) == pytest.approx(math.exp(-0.125), abs=1e-12)
    # same centre, twice as wide: x variances 10000 and 2500 -> 1/2 ln(12500 / (2 * 5000)) = 1/2 ln 1.25
    assert gaussian_coverage_reward((-50, 0, 150, 50), TARGET) == pytest.approx(1.25 ** -0.5, abs=1e-12)


def test_score_terms_and_totals():
    s = score((50, 0, 150, 50), TARGET)  # centre (100, 25): on the edge, a hit; point exp(-1/2); coverage exp(-1/8)
    assert s.hit is True
    assert s.point == pytest.approx(math.exp(-0.5), abs=1e-12)
    assert s.coverage == pytest.approx(math.exp(-0.125), abs=1e-12)
    assert s.reward("gui_g2") == pytest.approx(math.exp(-0.5) + math.exp(-0.125), abs=1e-12)  # 1.48903...
    assert s.reward("point_in_box") == 1.0
    p = score((150, 25), TARGET)  # a point: no coverage term
    assert (p.hit, p.coverage, p.reward("point_in_box")) == (False, 0.0, 0.0)
    assert p.reward("gui_g2") == pytest.approx(math.exp(-2.0), abs=1e-12)
    assert score(TARGET, TARGET).reward("gui_g2") == pytest.approx(2.0, abs=1e-12)


def _gui_g2_matrix_form(pred, gt, alpha=0.5):
    """GUI-G2's released formulas (matrix form, numpy), without their rounding and epsilon."""
    mu_p = np.array([(pred[0] + pred[2]) / 2, (pred[1] + pred[3]) / 2])
    mu_g = np.array([(gt[0] + gt[2]) / 2, (gt[1] + gt[3]) / 2])
    cov_p = np.diag([(alpha * (pred[2] - pred[0])) ** 2, (alpha * (pred[3] - pred[1])) ** 2])
    cov_g = np.diag([(alpha * (gt[2] - gt[0])) ** 2, (alpha * (gt[3] - gt[1])) ** 2])
    s = (cov_p + cov_g) / 2
    d = mu_p - mu_g
    db = d @ np.linalg.inv(s) @ d / 8 + 0.5 * np.log(np.linalg.det(s) / np.sqrt(np.linalg.det(cov_p) * np.linalg.det(cov_g)))
    sx, sy = alpha * (gt[2] - gt[0]), alpha * (gt[3] - gt[1])
    point = math.exp(-0.5 * ((mu_p[0] - mu_g[0]) ** 2 / sx ** 2 + (mu_p[1] - mu_g[1]) ** 2 / sy ** 2))
    return point, math.exp(-db)


def test_agrees_with_gui_g2_matrix_formulas():
    rng = random.Random(0)
    for _ in range(200):
        def box():
            x, y = rng.uniform(0, 1000), rng.uniform(0, 800)
            return (x, y, x + rng.uniform(2, 300), y + rng.uniform(2, 200))
        pred, gt = box(), box()
        point, cov = _gui_g2_matrix_form(pred, gt)
        s = score(pred, gt)
        assert s.point == pytest.approx(point, rel=1e-9, abs=1e-300)
        assert s.coverage == pytest.approx(cov, rel=1e-9, abs=1e-300)


def test_bad_boxes_are_named():
    with pytest.raises(ValueError, match=r"x2 > x1"):
        check_box((10, 10, 5, 20))
    with pytest.raises(ValueError, match="4 numbers"):
        check_box((1, 2, 3))


@pytest.mark.parametrize("text, expected", [
    ("click(12, 34)", (12.0, 34.0)), ("CLICK( 1.5 ,2 )", (1.5, 2.0)), ("(7, 8)", (7.0, 8.0)), ("[7, 8]", (7.0, 8.0)),
    ("[10, 20, 30, 40]", (10.0, 20.0, 30.0, 40.0)),
    ("The box [0, 0, 5, 5] is wrong; answer: click(3, 4)", (3.0, 4.0)),   # the last answer wins
    ("[30, 20, 10, 40]", None),                                            # x2 < x1: not a box
    ("", None), ("click here", None), ("click(1,)", None), ("[1, 2, 3]", None),
])
def test_parse_grounding(text, expected):
    assert parse_grounding(text) == expected
