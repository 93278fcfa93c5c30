"""trainers/padding.py: right padding and the pad-id rule."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from agentgym.trainers.padding import pad_id_of, right_pad


def test_right_pad_puts_each_sequence_at_column_0():
    ids, attention = right_pad([[5, 6, 7], [8], []], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0], [0, 0, 0]]
    assert attention.tolist() == [[1, 1, 1], [1, 0, 0], [0, 0, 0]]
    assert ids.dtype == attention.dtype == torch.long


def test_right_pad_rejects_an_empty_batch():
    with pytest.raises(ValueError, match="no sequences"):
        right_pad([], pad_id=0)


def test_pad_id_is_pad_else_eos():
    assert pad_id_of(SimpleNamespace(pad_token_id=3, eos_token_id=9)) == 3
    assert pad_id_of(SimpleNamespace(pad_token_id=0, eos_token_id=9)) == 0  # id 0 is a real pad id, not "unset"
    assert pad_id_of(SimpleNamespace(pad_token_id=None, eos_token_id=9)) == 9
    with pytest.raises(ValueError, match="neither a pad nor an eos"):
        pad_id_of(SimpleNamespace(pad_token_id=None, eos_token_id=None))
