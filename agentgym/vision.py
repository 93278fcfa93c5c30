"""Image tokens for vision-language models: how many placeholder tokens each image takes, and its pixel inputs.

Qwen2-VL-style models (Qwen2-VL, Qwen2.5-VL and their processors' conventions) mark an image in the chat text with
one `<|image_pad|>` token, which the processor expands into grid_t * grid_h * grid_w / merge_size^2 copies, one per
merged patch, and pair with `pixel_values` and `image_grid_thw` from the image processor. `ImageTokens` does that
expansion with the model's real image processor (transformers' Qwen2VLImageProcessor), so prompt ids and pixel
inputs are what the processor would give. We do the one expansion step ourselves instead of calling
Qwen2VLProcessor because that class insists on a video processor, which needs torchvision (not installed here).

ChatTokenizer(tokenizer, vision=ImageTokens(...)) encodes messages with images this way; the HF policy passes the
pixel inputs to generate(), and the trainers' batches carry them into the training forward pass.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from agentgym.types import Image

PROCESSOR_FILE = "preprocessor_config.json"
"""The image processor's file in a model folder (what save_pretrained writes): its presence marks a vision-language
model folder."""


class ImageTokens:
    """Expands image placeholders and builds pixel inputs for one image processor (Qwen2-VL conventions)."""

    def __init__(self, image_processor: Any, tokenizer: Any, *, image_token: str = "<|image_pad|>"):
        self.image_processor = image_processor
        self.image_token = image_token
        self.image_token_id = tokenizer.convert_tokens_to_ids(image_token)
        if self.image_token_id is None or self.image_token_id == getattr(tokenizer, "unk_token_id", -1):
            raise ValueError(f"the tokenizer has no image token {image_token!r}; add it as a special token")
        self.merge = int(getattr(image_processor, "merge_size", 2))
        video = tokenizer.convert_tokens_to_ids("<|video_pad|>")
        unk = getattr(tokenizer, "unk_token_id", None)
        self.never_generated: tuple[int, ...] = tuple(sorted(
            {self.image_token_id} | ({video} if isinstance(video, int) and video != unk else set())))
        """Placeholder tokens a policy must not generate (the image and video pads): one in a completion would be an
        image position without an image, which the model's forward refuses ("Image features and image tokens do not
        match"). The HF policy never samples them, and the training forward renormalises the policy's distribution
        without them, so sampling and training logprobs agree."""
        self._cache: dict[str, tuple[Any, Any]] = {}

    def _one(self, image: Image) -> tuple[Any, Any]:
        hit = self._cache.get(image.sha256)
        if hit is None:
            from PIL import Image as PILImage

            out = self.image_processor(images=[PILImage.fromarray(image.array)], return_tensors="pt")
            hit = (out["pixel_values"], out["image_grid_thw"])
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[image.sha256] = hit
        return hit

    def count(self, image: Image) -> int:
        """Placeholder tokens the image takes in the prompt."""
        return int(self._one(image)[1].prod()) // (self.merge ** 2)

    def expand(self, text: str, images: Sequence[Image]) -> str:
        """The text with its k-th image token repeated count(images[k]) times."""
        parts = text.split(self.image_token)
        if len(parts) - 1 != len(images):
            raise ValueError(f"the rendered prompt has {len(parts) - 1} image token(s) {self.image_token!r} but the "
                             f"messages carry {len(images)} image(s); the chat template must write one per image part")
        out = [parts[0]]
        for im, rest in zip(images, parts[1:]):
            out.append(self.image_token * self.count(im) + rest)
        return "".join(out)

    def save_pretrained(self, path: str | os.PathLike) -> None:
        """Write the image processor's config into a model folder (beside the model and tokenizer files), so that
        load_vision(path, tokenizer) rebuilds this object."""
        self.image_processor.save_pretrained(path)

    def pixel_inputs(self, images: Sequence[Image]) -> dict[str, Any]:
        """{"pixel_values", "image_grid_thw"} for the images in order (what the model's forward takes)."""
        import torch

        pv, grid = zip(*(self._one(im) for im in images))
        return {"pixel_values": torch.cat(pv, dim=0), "image_grid_thw": torch.cat(grid, dim=0)}


def load_vision(path: str | os.PathLike, tokenizer: Any) -> ImageTokens | None:
    """ImageTokens for the image processor saved in model folder `path` (transformers' AutoImageProcessor reads its
    preprocessor_config.json), or None when the folder has none (a text-only model)."""
    if not os.path.isfile(os.path.join(path, PROCESSOR_FILE)):
        return None
    from transformers import AutoImageProcessor

    return ImageTokens(AutoImageProcessor.from_pretrained(str(path)), tokenizer)


def message_images(messages: Sequence[Any]) -> list[Image]:
    """Every image of the messages, in order (Message objects; plain dicts carry none)."""
    out: list[Image] = []
    for m in messages:
        out.extend(getattr(m, "images", []) or [])
    return out
