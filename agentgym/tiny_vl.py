"""A tiny Qwen2-VL built from a config (random weights, CPU, seconds): for tests of the vision-language path.

Tokenizer: byte-level BPE trained locally (agentgym.tiny's corpus plus any texts given), with Qwen2-VL's special
tokens and a ChatML template that writes `<|vision_start|><|image_pad|><|vision_end|>` for each image part, as
Qwen2-VL's template does. Image processor: transformers' Qwen2VLImageProcessor (the PIL backend; torchvision is not
installed), with a small max_pixels so each screenshot becomes a handful of tokens. Model:
Qwen2VLForConditionalGeneration with a 1-layer vision tower and a 1-layer language model.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>",
           "<|video_pad|>"]

TEMPLATE = (
    "{%- if not messages or messages[0]['role'] != 'system' -%}"
    "{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' -}}{%- endif -%}"
    "{%- for m in messages -%}{{- '<|im_start|>' + m['role'] + '\\n' -}}"
    "{%- if m['content'] is string -%}{{- m['content'] -}}{%- else -%}{%- for p in m['content'] -%}"
    "{%- if p['type'] == 'image' -%}{{- '<|vision_start|><|image_pad|><|vision_end|>' -}}"
    "{%- else -%}{{- p['text'] -}}{%- endif -%}{%- endfor -%}{%- endif -%}{{- '<|im_end|>\\n' -}}{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}")


def tiny_vision_model(corpus: Iterable[str] = (), *, seed: int = 0, max_pixels: int = 28 * 28 * 16,
                      hidden_size: int = 32, num_layers: int = 1, num_heads: int = 2,
                      vocab_size: int = 768) -> tuple[Any, Any, Any]:
    """(model, tokenizer, agentgym.vision.ImageTokens) of a tiny random Qwen2-VL, deterministic under `seed`.

    corpus: extra texts the tokenizer trains on (env observations and oracle answers, so they encode compactly).
    max_pixels: the image processor's limit; each 28 x 28 block of an image becomes one image token. hidden_size,
    num_layers, num_heads: the language model's (the vision tower has the same width, one layer and 2 heads).
    vocab_size: an upper bound on the BPE vocabulary (a small corpus yields fewer merges).
    """
    if hidden_size % num_heads or (hidden_size // num_heads) % 4:
        raise ValueError(f"hidden_size ({hidden_size}) / num_heads ({num_heads}) must be a multiple of 4 (M-RoPE "
                         "splits each head's rotary half into time, height and width sections)")
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2VLConfig, Qwen2VLForConditionalGeneration
    from transformers import Qwen2VLImageProcessorPil

    from agentgym.tiny import default_corpus
    from agentgym.vision import ImageTokens

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    # a slice of the text corpus keeps training the tokenizer to a fraction of a second
    tok.train_from_iterator(list(default_corpus())[:60] + list(corpus) + ["click(12, 34) [10, 20, 30, 40]"], trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                        additional_special_tokens=SPECIAL, padding_side="left")
    tokenizer.chat_template = TEMPLATE
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL}
    half = hidden_size // num_heads // 2  # rotary dimensions per head, split 1 : 1.5 : 1.5 as Qwen2-VL's 16/24/24
    t_sec = half // 4
    mrope = [t_sec, (half - t_sec) // 2, half - t_sec - (half - t_sec) // 2]
    config = Qwen2VLConfig(
        text_config=dict(vocab_size=len(tokenizer), hidden_size=hidden_size, intermediate_size=2 * hidden_size,
                         num_hidden_layers=num_layers, num_attention_heads=num_heads, num_key_value_heads=1,
                         max_position_embeddings=8192, rope_scaling={"type": "mrope", "mrope_section": mrope},
                         tie_word_embeddings=True,
                         bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"],
                         pad_token_id=ids["<|endoftext|>"]),
        vision_config=dict(depth=1, embed_dim=hidden_size, hidden_size=hidden_size, num_heads=2, mlp_ratio=2,
                           patch_size=14, spatial_merge_size=2, temporal_patch_size=2, in_chans=3),
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
        bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"])
    torch.manual_seed(seed)
    model = Qwen2VLForConditionalGeneration(config).eval()
    processor = Qwen2VLImageProcessorPil(min_pixels=28 * 28 * 4, max_pixels=max_pixels)
    return model, tokenizer, ImageTokens(processor, tokenizer)
