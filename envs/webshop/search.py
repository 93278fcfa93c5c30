"""BM25 product search with bm25s (Lucene's BM25 variant, k1 = 0.9, b = 0.4: pyserini's defaults, which WebShop's
Lucene index used).

Each product is indexed as WebShop's search_engine/convert_product_file_format.py builds its documents: the title,
the description, the first bullet point and the options ("name: v1, v2, and name2: ..."), joined and lower-cased.
Tokens: bm25s's tokenizer (words of 2+ letters or digits, English stopwords removed) with PyStemmer's English
(Porter2) stemmer, close to Lucene's English analyzer that pyserini applies. A search returns at most
SEARCH_RETURN_N products with a positive score, best first (ties by catalogue order, so results are deterministic).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from agentgym.envs.webshop.deps import require

SEARCH_RETURN_N = 50
K1 = 0.9
B = 0.4


def document_text(product: dict[str, Any]) -> str:
    """The indexed text of a product, as WebShop's converter writes it."""
    option_text = ", and ".join(f"{name}: {', '.join(values)}" for name, values in product.get("options", {}).items())
    bullets = product.get("BulletPoints") or [""]
    return " ".join([product["Title"], product["Description"], bullets[0], option_text]).lower()


class SearchEngine:
    """BM25 over a list of products; `search(text)` returns their asins."""

    def __init__(self, products: Sequence[dict[str, Any]]) -> None:
        bm25s = require("bm25s")
        stemmer = require("Stemmer").Stemmer("english")
        from bm25s.tokenization import Tokenizer

        self.asins = [p["asin"] for p in products]
        self._tokenizer = Tokenizer(stopwords="en", stemmer=stemmer)
        ids = self._tokenizer.tokenize([document_text(p) for p in products], return_as="ids", show_progress=False)
        self._bm25 = bm25s.BM25(k1=K1, b=B)
        self._bm25.index(ids, show_progress=False)
        self._order = np.arange(len(self.asins))

    def search(self, text: str, k: int = SEARCH_RETURN_N) -> list[str]:
        """The asins of the (at most k) best-scoring products for `text`, best first; [] when no word is known."""
        ids = self._tokenizer.tokenize([text], update_vocab=False, return_as="ids", show_progress=False)[0]
        if not ids:
            return []
        scores = self._bm25.get_scores_from_ids(ids)
        hits = np.flatnonzero(scores > 0)
        if hits.size == 0:
            return []
        if hits.size > k:  # partial sort first: only the top k matter
            top = np.argpartition(-scores[hits], k - 1)[:k]
            cut = scores[hits][top].min()
            hits = hits[scores[hits] >= cut]  # keep ties at the cut so the tie order below is by index
        order = np.lexsort((hits, -scores[hits]))
        return [self.asins[i] for i in hits[order][:k]]
