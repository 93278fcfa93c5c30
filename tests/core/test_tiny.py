"""Tiny local tokenizers and models: byte-level BPE that encodes anything, family special tokens, deterministic
random models, fast to build."""

from __future__ import annotations

import pytest

from agentgym.tiny import build_model, build_tokenizer, tiny_model_and_tokenizer


@pytest.mark.parametrize("style,special,eos,pad,bos", [
    ("chatml", ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], "<|im_end|>", "<|endoftext|>", None),
    ("llama3", ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>",
                "<|finetune_right_pad_id|>"], "<|eot_id|>", "<|finetune_right_pad_id|>", "<|begin_of_text|>"),
])
def test_tokenizer_special_tokens_and_padding(style, special, eos, pad, bos):
    tok = build_tokenizer(style)
    assert tok.convert_ids_to_tokens(list(range(len(special)))) == special  # special tokens take the first ids
    assert (tok.eos_token, tok.pad_token, tok.bos_token) == (eos, pad, bos)
    assert tok.padding_side == "left"
    assert tok.chat_template
    # Special tokens are atomic in any text, including the rendered template.
    assert tok("a<|im_end|>b" if style == "chatml" else "a<|eot_id|>b")["input_ids"][1] == tok.convert_tokens_to_ids(eos)


def test_byte_level_bpe_encodes_any_text_losslessly():
    tok = build_tokenizer("chatml")
    for text in ["You are in the kitchen.", "ünïcödé 日本語 🙂", "tabs\tand\nnewlines  ", "", "search[red shoes] $12.50"]:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        assert tok.decode(ids) == text
        assert tok.unk_token_id is None or tok.unk_token_id not in ids


def test_corpus_texts_compress_and_vocab_is_bounded():
    phrase = "unlock the zorkmid vault with the brass key"
    plain = build_tokenizer("chatml")
    trained = build_tokenizer("chatml", corpus=[phrase] * 20)
    assert len(trained(phrase)["input_ids"]) < len(plain(phrase)["input_ids"])
    assert len(build_tokenizer("chatml", vocab_size=300)) <= 300
    with pytest.raises(ValueError, match="unknown tokenizer style 'gemma'"):
        build_tokenizer("gemma")  # type: ignore[arg-type]


def test_chatml_template_writes_the_default_system_prompt():
    tok = build_tokenizer("chatml")
    assert tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True) == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
        "<|im_start|>assistant\n")


def test_model_is_small_deterministic_and_sized_to_the_tokenizer(tiny_chatml):
    import torch

    model, tok = tiny_chatml
    assert model.config.vocab_size == len(tok) and model.config.hidden_size == 64
    assert model.config.num_hidden_layers == 2 and model.dtype == torch.float32 and not model.training
    rng_state = torch.random.get_rng_state()
    same = build_model(tok, seed=0)
    other = build_model(tok, seed=1)
    assert torch.equal(torch.random.get_rng_state(), rng_state)  # the global RNG is untouched
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), same.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(model.parameters(), other.parameters()))
    llama = build_model(tok, arch="llama", hidden_size=32, num_layers=1, num_heads=2)
    assert type(llama).__name__ == "LlamaForCausalLM" and llama.config.num_key_value_heads == 1
    with pytest.raises(ValueError, match="hidden_size must be divisible by num_heads, got 30 and 4"):
        build_model(tok, hidden_size=30)


def test_tiny_model_and_tokenizer_pairs_the_style_with_its_architecture(tiny_chatml):
    model, tok = tiny_model_and_tokenizer("llama3", corpus=["go north", "take key"], seed=5)
    assert type(model).__name__ == "LlamaForCausalLM" and tok.eos_token == "<|eot_id|>"
    assert model.config.vocab_size == len(tok)
    assert type(tiny_chatml[0]).__name__ == "Qwen2ForCausalLM"
