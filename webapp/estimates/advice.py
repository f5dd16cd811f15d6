"""What educators see: the model page's numbers, and estimates for one recording.

Estimates are advice.  A dimension's estimate is shown only when its model's cross-validated
quadratic weighted kappa reaches ``ESTIMATE_MIN_QWK``; the model's accuracy is always shown
beside it.  Raters never see estimates (they would anchor a blind rating); trainees see them on
their own recordings only when an educator has switched it on for their cohort
(``trainee_access``).
"""

from __future__ import annotations

import math
from typing import Any

from flask import current_app

from rating.instruments import DEFAULT_INSTRUMENT
from rating.scale_checks import reliability_report
from webapp.audit import record_event
from webapp.errors import DomainError
from webapp.estimates.data import get_public_codes, latest_transcript_text
from webapp.estimates.services import SCALE, load_model, read_model_card, version_problem
from webapp.estimates.trainee_access import trainee_sees_estimates
from webapp.models import AuditAction, Recording, Role, User
from webapp.reports.data import get_rating_rows

MODEL_METRICS = ("qwk", "spearman", "mae", "exact", "within_one")


def min_qwk() -> float:
    return float(current_app.config["ESTIMATE_MIN_QWK"])


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else round(number, 3)


def _share(model: float | None, human: float | None) -> float | None:
    """Model agreement as a share of human agreement (None when either is missing or <= 0)."""
    if model is None or human is None or human <= 0:
        return None
    return round(model / human, 3)


def human_agreement(slug: str, recording_ids: list[int]) -> dict[str, dict[str, Any]]:
    """Inter-rater agreement per dimension on the double-coded recordings among these."""
    codes = get_public_codes(recording_ids)
    rows = [r._asdict() for r in get_rating_rows(slug) if r.recording_code in codes]
    if not rows:
        return {}
    try:
        report = reliability_report(rows, scale=SCALE)
    except ValueError:
        return {}
    return {
        name: {
            "weighted_kappa": _number(result.weighted_kappa),
            "pearson_r": _number(result.pearson.r) if result.pearson else None,
            "n_double_coded": result.n_double_coded,
        }
        for name, result in report.dimensions.items()
    }


def build_model_page(slug: str) -> dict[str, Any]:
    """Everything the model page shows, as plain data."""
    page: dict[str, Any] = {"instrument": slug, "card": None, "problem": None}
    try:
        card = read_model_card(slug)
    except DomainError as error:
        page["problem"] = error.message
        return page
    if card is None:
        return page
    app = card.get("app") or {}
    human = human_agreement(slug, list(app.get("recording_ids") or []))
    metrics = (card.get("metrics") or {}).get("dimensions") or {}
    order = [d for d in card.get("dimensions") or [] if d in metrics] or list(metrics)
    page.update(
        card=card,
        problem=version_problem(card),
        threshold=min_qwk(),
        dimensions=[_dimension_row(name, metrics.get(name), human.get(name)) for name in order],
        curve=_curve_table(app.get("learning_curve"), order),
        cross_validation=(card.get("metrics") or {}).get("cross_validation") or {},
    )
    return page


def _dimension_row(
    name: str, metrics: dict[str, Any] | None, human: dict[str, Any] | None
) -> dict[str, Any]:
    metrics = metrics or {}
    model = metrics.get("model") or {}
    human = human or {}
    qwk = model.get("qwk")
    return {
        "dimension": name,
        "model": model,
        "mean_baseline": metrics.get("mean_baseline") or {},
        "permutation": metrics.get("permutation") or {},
        "human": human,
        "qwk_share": _share(qwk, human.get("weighted_kappa")),
        "spearman_share": _share(model.get("spearman"), human.get("pearson_r")),
        "is_shown": qwk is not None and qwk >= min_qwk(),
    }


def _curve_table(curve: dict[str, Any] | None, order: list[str]) -> dict[str, Any] | None:
    if not curve or not curve.get("train_sizes"):
        return None
    values = dict(curve.get("dimensions") or {})
    return {
        "metric": curve.get("metric", "qwk"),
        "train_sizes": list(curve["train_sizes"]),
        "dimensions": {name: values[name] for name in [*order, *values] if name in values},
    }


def recording_estimates(recording: Recording, slug: str = DEFAULT_INSTRUMENT) -> dict[str, Any]:
    """The model's estimates for a recording, each with its validated accuracy.

    ``available`` is False (with a ``reason``) when there is no usable model or transcript.
    Dimensions below the threshold keep their accuracy but lose their estimate.
    """
    try:
        card = read_model_card(slug)
        model = load_model(slug) if card is not None else None
    except DomainError as error:
        return {"available": False, "reason": error.message}
    if card is None or model is None:
        return {"available": False, "reason": "No model has been trained yet."}
    text = latest_transcript_text(recording)
    if text is None:
        return {"available": False, "reason": "This recording has no transcript yet."}
    row = model.predict([text])
    values = [float(row[0])] if model.is_single else [float(v) for v in row[0]]
    metrics = (card.get("metrics") or {}).get("dimensions") or {}
    dimensions = [
        _estimate(name, value, (metrics.get(name) or {}).get("model") or {})
        for name, value in zip(model.dimensions, values, strict=True)
    ]
    return {
        "available": True,
        "instrument": slug,
        "threshold": min_qwk(),
        "trained": card.get("created_utc"),
        "n_transcripts": (card.get("training") or {}).get("n_transcripts"),
        "dimensions": dimensions,
        "any_shown": any(d["is_shown"] for d in dimensions),
    }


def _estimate(name: str, value: float, accuracy: dict[str, Any]) -> dict[str, Any]:
    qwk = accuracy.get("qwk")
    is_shown = qwk is not None and qwk >= min_qwk()
    return {
        "dimension": name,
        "estimate": round(value, 1) if is_shown else None,
        "is_shown": is_shown,
        **{key: accuracy.get(key) for key in MODEL_METRICS},
    }


def can_see_estimates(viewer: User, recording: Recording) -> bool:
    """Educators and admins; the recording's own trainee only when their cohort's switch is on.

    Raters never: an estimate would anchor a blind rating.  So a person who is a rater
    sees estimates only through an educator or admin role.
    """
    if viewer.has_role(Role.EDUCATOR, Role.ADMIN):
        return True
    if viewer.has_role(Role.RATER):
        return False
    is_own = viewer.has_role(Role.TRAINEE) and recording.trainee_id == viewer.id
    return is_own and trainee_sees_estimates(viewer)


def estimate_panel(recording: Recording, viewer: User) -> dict[str, Any]:
    """Context for ``estimates/_panel.html``: ``{"estimate_panel": {...}}``.

    Records an ``estimates.viewed`` audit event when estimates are shown; the calling view
    commits.
    """
    if not can_see_estimates(viewer, recording):
        return {"estimate_panel": {"show": False}}
    estimates = recording_estimates(recording)
    if estimates.get("any_shown"):
        shown = [d["dimension"] for d in estimates["dimensions"] if d["is_shown"]]
        record_event(
            AuditAction.ESTIMATES_VIEWED, obj=recording, actor=viewer, detail={"shown": shown}
        )
    return {
        "estimate_panel": {
            "show": True,
            "for_trainee": not viewer.has_role(Role.EDUCATOR, Role.ADMIN),
            "recording_id": recording.id,
            **estimates,
        }
    }
