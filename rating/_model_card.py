"""Model-card helpers for :mod:`rating.classifier` (private): versions, hashes, card files."""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path
from typing import Any

import numpy as np
import scipy
import sklearn
import skops

from rating._classifier_inputs import Data

CARD_FORMAT = "simclient-rating-model/1"


def library_versions() -> dict[str, str]:
    """Versions recorded in the model card and checked on load."""
    return {
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "skops": skops.__version__,
    }


# How many leading version parts must match for an artifact to load: scikit-learn does not
# promise that estimators unpickle across minor releases, skops is 0.x, numpy/scipy keep their
# array formats within a major release.
COMPATIBLE_PARTS = {"sklearn": 2, "skops": 2, "numpy": 1, "scipy": 1}


def check_versions(recorded: Any) -> None:
    """Raise ValueError unless the card's library versions are compatible with ours."""
    if not isinstance(recorded, dict):
        raise ValueError("model card has no 'versions' record")
    current = library_versions()
    for library, parts in COMPATIBLE_PARTS.items():
        made_with = str(recorded.get(library, "missing"))
        if made_with.split(".")[:parts] != current[library].split(".")[:parts]:
            raise ValueError(
                f"model was saved with {library} {made_with} but {current[library]} is installed; "
                f"retrain it (the first {parts} version part(s) must match)"
            )


def read_card(card_path: Path) -> dict[str, Any]:
    """Read and minimally validate a model card, or raise ValueError saying why not."""
    if not card_path.is_file():
        raise ValueError(f"model card {card_path} is missing; refusing to load an unaudited model")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"model card {card_path} is not readable JSON: {error}") from None
    if not isinstance(card, dict) or card.get("format") != CARD_FORMAT:
        raise ValueError(f"model card {card_path} is not a {CARD_FORMAT} card")
    return card


def artifact_paths(path: str | Path) -> tuple[Path, Path]:
    """Return ``<stem>.skops`` and ``<stem>.card.json`` for a path with or without suffix."""
    stem = str(path).removesuffix(".skops")
    return Path(f"{stem}.skops"), Path(f"{stem}.card.json")


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def data_sha256(data: Data) -> str:
    """Hex SHA-256 identifying the training texts, dimension names and ratings."""
    digest = hashlib.sha256()
    for text in data.texts:  # length-prefixed so that text boundaries count
        encoded = text.encode("utf-8")
        digest.update(len(encoded).to_bytes(8, "little") + encoded)
    digest.update(json.dumps(list(data.dimensions)).encode())
    digest.update(np.ascontiguousarray(data.targets, dtype="<f8").tobytes())
    return digest.hexdigest()
