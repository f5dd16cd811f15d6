import json
import math
import shutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from rating import classifier
from rating.classifier import (
    SINGLE_DIMENSION,
    RatingModel,
    cross_validate,
    evaluate_predictions,
    grouped_splits,
    learning_curve,
    quadratic_weighted_kappa,
    train,
)
from rating.synthetic import generate_corpus

# Small enough for the whole module to run in seconds, large enough that the synthetic signal is
# clear: 200 transcripts of ~1,000 words from 50 trainees.  On this corpus (seed 7) the model
# reaches Spearman 0.58-0.75 per dimension against -0.04 to +0.04 for the permutation baseline,
# QWK 0.47-0.68 against <= 0.04 for either baseline, MAE 0.59-0.62 against 0.84-0.91 for the
# mean baseline.  With shuffled labels it falls to Spearman -0.17 to +0.05, QWK <= 0.06.
N_TRANSCRIPTS, N_TRAINEES, WORDS = 200, 50, 1000


@pytest.fixture(scope="module")
def corpus():
    return generate_corpus(
        N_TRANSCRIPTS, n_trainees=N_TRAINEES, words_per_transcript=WORDS, random_state=7
    )


@pytest.fixture(scope="module")
def model(corpus):
    return train(corpus.texts, corpus.ratings, groups=corpus.groups)


@pytest.fixture(scope="module")
def evaluation(corpus):
    return cross_validate(corpus.texts, corpus.ratings, groups=corpus.groups, n_repeats=1)


# --------------------------------------------------------------------------- the model learns


def test_model_clearly_beats_mean_and_permutation_baselines(evaluation):
    for name, scores in evaluation.scores.items():
        model, mean, permuted = (
            scores.model.mean,
            scores.mean_baseline.mean,
            scores.permutation.mean,
        )
        assert model.spearman > 0.5, name
        assert model.spearman - permuted.spearman > 0.35, name
        assert model.qwk - max(mean.qwk, permuted.qwk) > 0.3, name
        assert model.mae < min(mean.mae, permuted.mae) - 0.15, name


def test_model_trained_on_shuffled_labels_does_not_beat_baselines(corpus):
    # If features or folds leaked the test labels, shuffled labels would still "work".
    rng = np.random.default_rng(0)
    shuffled = {d: rng.permutation(r).tolist() for d, r in corpus.ratings.items()}
    result = cross_validate(corpus.texts, shuffled, groups=corpus.groups, n_repeats=1)
    rhos = [scores.model.mean.spearman for scores in result.scores.values()]
    assert abs(np.mean(rhos)) < 0.15
    for name, scores in result.scores.items():
        assert abs(scores.model.mean.spearman) < 0.3, name
        assert scores.model.mean.qwk < 0.25, name


def test_cross_validation_reports_every_fold_and_metric(evaluation):
    scores = evaluation.scores["empathy"]
    assert len(scores.model.folds) == len(scores.permutation.folds) == 5
    assert math.isnan(scores.mean_baseline.mean.spearman)  # a constant has no ranking
    assert scores.mean_baseline.mean.qwk == 0.0
    summary = json.loads(json.dumps(evaluation.summary()))  # JSON-ready, NaN -> None
    assert summary["dimensions"]["empathy"]["mean_baseline"]["spearman"] is None
    assert summary["cross_validation"]["grouped_by"] == "trainee"


def test_learning_curve_grows_training_set_by_trainee(corpus):
    curve = learning_curve(
        corpus.texts, corpus.ratings, groups=corpus.groups, train_sizes=(0.3, 1.0), n_splits=3
    )
    assert curve.train_sizes[0] < curve.train_sizes[1] < N_TRANSCRIPTS
    assert curve.scores["warmth"].shape == (2, 3)
    assert set(curve.mean()) == set(corpus.ratings)


# --------------------------------------------------------------------------- grouped folds


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(0, 12), min_size=5, max_size=60).filter(lambda g: len(set(g)) >= 5),
    st.integers(0, 2**16),
)
def test_grouped_splits_never_put_a_trainee_on_both_sides(groups, seed):
    labels = np.array(groups)
    seen = []
    for train_idx, test_idx in grouped_splits(labels, n_splits=5, n_repeats=2, random_state=seed):
        assert not set(labels[train_idx]) & set(labels[test_idx])
        assert len(test_idx) > 0
        seen.append(test_idx)
    for repeat in (seen[:5], seen[5:]):  # each repeat tests every transcript exactly once
        assert sorted(np.concatenate(repeat).tolist()) == list(range(len(groups)))


def test_repeats_shuffle_trainees_differently():
    groups = np.repeat(np.arange(20), 3)
    splits = list(grouped_splits(groups, n_splits=5, n_repeats=2, random_state=1))
    first = {frozenset(test.tolist()) for _, test in splits[:5]}
    second = {frozenset(test.tolist()) for _, test in splits[5:]}
    assert first != second


# --------------------------------------------------------------------------- predict and explain


def test_predict_shape_follows_ratings_and_is_clipped(corpus, model):
    estimates = model.predict(corpus.texts[:3])
    assert estimates.shape == (3, 4)
    assert model.dimensions == tuple(corpus.ratings)
    single = train(corpus.texts, corpus.ratings["empathy"])
    assert single.predict(corpus.texts[:3]).shape == (3,)
    assert single.dimensions == (SINGLE_DIMENSION,)
    assert ((estimates >= 1) & (estimates <= 5)).all()


def test_explain_contributions_add_up_to_the_estimate(corpus, model):
    text = corpus.texts[0]
    full = model.explain(text, dimension="warmth", top_k=1_000_000)
    total = full.intercept + sum(c.contribution for c in full.contributions)
    assert np.clip(total, 1, 5) == pytest.approx(model.predict([text])[0, 2])
    top = model.explain(text, dimension="warmth", top_k=5).contributions
    assert len(top) == 5
    assert [abs(c.contribution) for c in top] == sorted(
        (abs(c.contribution) for c in top), reverse=True
    )
    assert all(c.contribution == pytest.approx(c.weight * c.value) for c in top)


def test_explain_names_readable_features(corpus, model):
    names = {
        c.feature
        for c in model.explain(corpus.texts[1], dimension="empathy", top_k=50).contributions
    }
    assert any(name.startswith(("words: ", "chars: ", "conversation: ")) for name in names)


def test_explain_requires_a_known_dimension_on_multi_dimension_models(corpus, model):
    with pytest.raises(ValueError, match="dimension must be one of"):
        model.explain(corpus.texts[0])


# --------------------------------------------------------------------------- persistence


def test_save_load_round_trip_gives_identical_predictions(tmp_path, corpus, model, evaluation):
    artifact, card_path = model.save(tmp_path / "model", evaluation=evaluation)
    assert (artifact.name, card_path.name) == ("model.skops", "model.card.json")
    loaded = RatingModel.load(tmp_path / "model.skops")
    np.testing.assert_array_equal(loaded.predict(corpus.texts[:5]), model.predict(corpus.texts[:5]))
    card = json.loads(card_path.read_text())
    assert card["training"]["n_transcripts"] == N_TRANSCRIPTS
    assert card["training"]["n_groups"] == N_TRAINEES
    assert card["dimensions"] == list(corpus.ratings)
    assert card["scale"] == [1.0, 5.0]
    assert set(card["versions"]) == {"python", "sklearn", "numpy", "scipy", "skops"}
    assert card["metrics"]["dimensions"]["empathy"]["model"]["spearman"] > 0.5
    assert card["created_utc"].endswith("+00:00")


@pytest.fixture(scope="module")
def saved_once(tmp_path_factory, model):
    return model.save(tmp_path_factory.mktemp("saved") / "m")


@pytest.fixture
def saved(tmp_path, saved_once):
    # A fresh copy per test, so that each test can tamper with its own files.
    copies = tmp_path / "m.skops", tmp_path / "m.card.json"
    for source, copy in zip(saved_once, copies, strict=True):
        shutil.copyfile(source, copy)
    return copies


def edit_card(card_path, change):
    card = json.loads(card_path.read_text())
    change(card)
    card_path.write_text(json.dumps(card))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda c: c["versions"].update(sklearn="1.0.2"), "saved with sklearn 1.0.2"),
        (lambda c: c["versions"].update(numpy="1.26.4"), "saved with numpy 1.26.4"),
        (lambda c: c.pop("versions"), "no 'versions' record"),
        (lambda c: c.update(format="other"), "is not a simclient-rating-model/1 card"),
        (lambda c: c.update(artifact_sha256="0" * 64), "sha256 differs"),
        (lambda c: c.update(dimensions=["empathy"]), "says dimensions="),
        (lambda c: c.update(scale=[0, 10]), "says scale="),
        (lambda c: c["training"].update(training_data_sha256="x"), "training-data hash"),
    ],
)
def test_load_refuses_a_tampered_card(saved, change, reason):
    artifact, card_path = saved
    edit_card(card_path, change)
    with pytest.raises(ValueError, match=reason):
        RatingModel.load(artifact)


def test_load_refuses_missing_card(saved):
    saved[1].unlink()
    with pytest.raises(ValueError, match=r"model card .* is missing"):
        RatingModel.load(saved[0])


def test_load_refuses_card_that_is_not_json(saved):
    saved[1].write_text("{not json")
    with pytest.raises(ValueError, match="not readable JSON"):
        RatingModel.load(saved[0])


def test_load_refuses_modified_artifact(saved):
    artifact = saved[0]
    artifact.write_bytes(artifact.read_bytes() + b"\0")
    with pytest.raises(ValueError, match="sha256 differs"):
        RatingModel.load(artifact)


def test_load_refuses_types_outside_the_allow_list(saved, monkeypatch):
    monkeypatch.setattr(classifier, "TRUSTED_TYPES", frozenset())
    with pytest.raises(ValueError, match=r"untrusted types \['rating.features"):
        RatingModel.load(saved[0])


# --------------------------------------------------------------------------- bad inputs

TEXTS = ["worker: How are you?", "worker: Do you sleep?", "worker: It sounds hard."] * 2
GROUPS = ["a", "b", "c", "d", "e", "f"]


@pytest.mark.parametrize(
    ("texts", "ratings", "groups", "reason"),
    [
        ([], [], [], "texts is empty"),
        ([*TEXTS[:5], "  "], [1, 2, 3, 4, 5, 1], GROUPS, r"texts\[5\] is empty"),
        (TEXTS, [3] * 6, GROUPS, "'rating' are all 3: need two distinct"),
        (TEXTS, {"empathy": [1, 2, 3, 4, 5, 1], "warmth": [2] * 6}, GROUPS, "'warmth' are all 2"),
        (TEXTS, [1, 2, 3], GROUPS, "have 3 values but there are 6 texts"),
        (TEXTS, [1, 2, 3, 4, 5, 6], GROUPS, r"outside the scale \(1.0, 5.0\): values \[6.0\]"),
        (TEXTS, [1, 2, 3, 0, 5, 1], GROUPS, r"at positions \[3\]"),
        (TEXTS, [1, 2, float("nan"), 4, 5, 1], GROUPS, "contain NaN"),
        (TEXTS, [1, 2, "x", 4, 5, 1], GROUPS, "must be numbers"),
        (TEXTS, {}, GROUPS, "empty mapping"),
        (TEXTS, [1, 2, 3, 4, 5, 1], GROUPS[:4], "groups has 4 values but there are 6 texts"),
        (TEXTS, [1, 2, 3, 4, 5, 1], ["a", "a", "b", "b", "c", "c"], r"3 groups .* fewer than"),
        (TEXTS[:4], [1, 2, 3, 4], GROUPS[:4], "4 transcripts are fewer than n_splits=5"),
        (TEXTS, [1, 2, 3, 4, 5, 1], [None] * 6, "groups contains None"),
    ],
)
def test_cross_validate_rejects_bad_input_precisely(texts, ratings, groups, reason):
    with pytest.raises(ValueError, match=reason):
        cross_validate(texts, ratings, groups=groups, n_repeats=1)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"scale": (5, 1)}, "low < high"),
        ({"n_splits": 1}, "n_splits must be at least 2"),
        ({"n_repeats": 0}, "n_repeats must be at least 1"),
    ],
)
def test_cross_validate_rejects_bad_options(kwargs, reason):
    with pytest.raises(ValueError, match=reason):
        cross_validate(TEXTS, [1, 2, 3, 4, 5, 1], groups=GROUPS, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"metric": "r2"}, "metric must be one of"),
        ({"train_sizes": (0.5, 1.5)}, r"fractions in \(0, 1\]"),
        ({"train_sizes": ()}, "fractions in"),
    ],
)
def test_learning_curve_rejects_bad_options(kwargs, reason):
    with pytest.raises(ValueError, match=reason):
        learning_curve(TEXTS, [1, 2, 3, 4, 5, 1], groups=GROUPS, **kwargs)


def test_train_rejects_ratings_outside_a_custom_scale():
    with pytest.raises(ValueError, match=r"outside the scale \(0.0, 3.0\)"):
        train(TEXTS, [0, 1, 2, 3, 4, 1], scale=(0, 3))


def test_train_rejects_a_single_string():
    with pytest.raises(TypeError, match="not a single str"):
        train("worker: hi", [1])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- metrics


def test_qwk_matches_scikit_learn():
    rng = np.random.default_rng(3)
    truth, guess = rng.integers(1, 6, 200), rng.integers(1, 6, 200)
    expected = cohen_kappa_score(truth, guess, weights="quadratic", labels=[1, 2, 3, 4, 5])
    assert quadratic_weighted_kappa(truth.astype(float), guess.astype(float), (1, 5)) == (
        pytest.approx(expected)
    )


def test_metrics_round_half_up_and_clip():
    metrics = evaluate_predictions([1, 3, 5], [1.6, 2.5, 7.0])
    assert metrics.exact == pytest.approx(2 / 3)  # 1.6 rounds to 2, 2.5 to 3; 7 clips to 5
    assert metrics.mae == pytest.approx((0.6 + 0.5 + 0) / 3)


def test_perfect_and_constant_predictions():
    perfect = evaluate_predictions([1, 2, 3, 4, 5], [1, 2, 3, 4, 5])
    assert (perfect.spearman, perfect.qwk, perfect.exact) == pytest.approx((1.0, 1.0, 1.0))
    constant = evaluate_predictions([1, 2, 3, 4, 5], [3, 3, 3, 3, 3])
    assert math.isnan(constant.pearson) and constant.qwk == 0.0
