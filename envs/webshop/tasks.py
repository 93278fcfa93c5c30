"""Task suites over a catalogue: one task per goal, in the catalogue's named splits.

Generated catalogues (catalogue.generate) have splits `train`, `heldout` (goals on families never targeted in
training) and `heldout_category` (every goal on the garden category, which no training goal targets); WebShop's own
files (original_data.load) have `heldout` (goals 0-499), `eval` (500-1499) and `train` (1500+).
"""

from __future__ import annotations

import functools
from pathlib import Path

from agentgym.core import Task, TaskSuite
from agentgym.envs.webshop import catalogue as C


@functools.lru_cache(maxsize=8)
def load_catalogue(catalogue: str = "1k", seed: int = 0, data_dir: str | None = None,
                   num_products: int | None = None) -> C.Catalogue:
    """The generated catalogue of that size ("1k", "10k" or a product count) and seed, or WebShop's files in
    data_dir (cached per process)."""
    if data_dir is not None:
        from agentgym.envs.webshop import original_data

        return original_data.load(Path(data_dir), num_products=num_products)
    if isinstance(catalogue, str) and catalogue in C.SIZES:
        n = C.SIZES[catalogue]
    else:
        try:
            n = int(catalogue)
        except (TypeError, ValueError):
            raise ValueError(f"catalogue must be one of {sorted(C.SIZES)} or a product count (a multiple of "
                             f"{C.FAMILY_SIZE}), got {catalogue!r}") from None
    return C.generate(n, seed)


def suite_for(cat: C.Catalogue) -> TaskSuite:
    splits = {
        name: [Task(id=f"webshop/{cat.name}/{name}/{i:05d}", split=name, seed=0,
                    params={"catalogue": cat.name, "goal": i}, answer=cat.goals[i]["asin"],
                    family=cat.goals[i]["category"]) for i in indices]
        for name, indices in cat.splits.items()
    }
    return TaskSuite(f"webshop-{cat.name}", C.CATALOGUE_VERSION, splits, train_splits=cat.train_splits)
