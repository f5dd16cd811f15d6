import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from rating.features import (
    FEATURE_NAMES,
    CharNgramCounts,
    ConversationFeatures,
    ParseTranscripts,
    Turn,
    WorkerText,
    conversation_features,
    format_transcript,
    parse_transcript,
)


def features_of(text: str) -> dict[str, float]:
    values = conversation_features(parse_transcript(text))
    return dict(zip(FEATURE_NAMES, values.tolist(), strict=True))


def test_parse_reads_timestamps_speakers_and_skips_blank_lines():
    turns = parse_transcript("[12.5-18] Worker: Hello there.\n\n  client:  Hi.  \n")
    assert turns == [Turn("worker", "Hello there.", 12.5, 18.0), Turn("client", "Hi.")]


def test_line_without_speaker_prefix_counts_as_worker():
    assert parse_transcript("[0-1] Just talking.")[0] == Turn("worker", "Just talking.", 0.0, 1.0)


def test_parse_rejects_turn_ending_before_it_starts():
    with pytest.raises(ValueError, match="ends before it starts"):
        parse_transcript("[5-2] worker: Hi.")


def test_parse_rejects_non_string():
    with pytest.raises(TypeError, match="must be a str"):
        parse_transcript(["worker: hi"])  # type: ignore[arg-type]


def test_format_puts_multiline_turn_text_on_one_line():
    assert format_transcript([Turn("client", "one\ntwo")]) == "client: one two"


speakers = st.sampled_from(["worker", "client"])
texts = st.text(st.characters(categories=["L", "N", "P", "Zs"]), min_size=1).map(
    lambda s: " ".join(s.split())
)


@st.composite
def turn_lists(draw: st.DrawFn) -> list[Turn]:
    turns = []
    for _ in range(draw(st.integers(0, 5))):
        text = draw(texts.filter(bool))
        if draw(st.booleans()):
            start = draw(st.integers(0, 10_000))
            end = start + draw(st.integers(0, 500))
            # tenths, as format_transcript writes them
            turns.append(Turn(draw(speakers), text, start / 10, end / 10))
        else:
            turns.append(Turn(draw(speakers), text))
    return turns


@given(turn_lists())
def test_format_then_parse_round_trips(turns):
    assert parse_transcript(format_transcript(turns)) == turns


def test_talk_share_uses_timestamps_when_every_turn_has_them():
    timed = "[0-30] worker: Hi.\n[30-40] client: Hello there, how are you doing today?"
    assert features_of(timed)["worker_talk_share"] == pytest.approx(0.75)


def test_talk_share_falls_back_to_words_without_timestamps():
    untimed = "worker: one two three\nclient: four"
    assert features_of(untimed)["worker_talk_share"] == pytest.approx(0.75)


def test_questions_per_minute_from_timestamps():
    text = "[0-30] worker: How are you? Do you sleep?\n[30-40] client: Fine."
    assert features_of(text)["questions_per_minute"] == pytest.approx(4.0)


def test_questions_per_minute_without_timestamps_assumes_150_words_a_minute():
    text = "worker: " + "word " * 145 + "How are you? Is it ok?"
    assert features_of(text)["questions_per_minute"] == pytest.approx(2 / (151 / 150))


@pytest.mark.parametrize(
    ("question", "is_open"),
    [
        ("What happened on Monday?", True),
        ("How do you feel about school?", True),
        ("So, why did that happen?", True),
        ("Tell me about your mornings.", True),
        ("Could you describe a typical evening?", True),
        ("Do you drink?", False),
        ("Is Jayden in bed by eight?", False),
        ("Did you hit him?", False),
    ],
)
def test_open_question_share_separates_open_from_closed(question, is_open):
    assert features_of(f"worker: {question}")["open_question_share"] == float(is_open)


@pytest.mark.parametrize(
    "turn",
    [
        "It sounds like you are exhausted.",
        "So what you're saying is nobody helps.",
        "I can see this is hard.",
        "You feel judged.",
    ],
)
def test_reflective_cues_are_counted(turn):
    assert features_of(f"worker: {turn}\nworker: Okay.")["reflection_share"] == 0.5


def test_question_with_a_cue_is_not_a_reflection():
    assert features_of("worker: How do you feel about school?")["reflection_share"] == 0.0
    checked = features_of("worker: You feel nobody asks, is that right?")
    assert checked["reflection_share"] == 1.0


def test_words_with_accents_and_apostrophes_count_once():
    assert features_of("worker: Café isn't open")["mean_worker_turn_words"] == 3.0


def test_reflection_cue_needs_whole_words():
    assert features_of("worker: Do you feeling-check?")["reflection_share"] == 0.0


def test_mean_worker_turn_words_ignores_client():
    text = "worker: one two\nclient: a b c d e f\nworker: three four five six"
    assert features_of(text)["mean_worker_turn_words"] == 3.0


def test_transcript_without_worker_turns_gives_zeros():
    assert all(v == 0 for v in features_of("client: Hello.").values())


def test_conversation_features_is_a_clonable_sklearn_transformer():
    texts = ["worker: How are you?\nclient: Fine.", "worker: Do you sleep? It sounds hard."]
    pipeline = clone(make_pipeline(ConversationFeatures(), StandardScaler()))
    assert pipeline.fit_transform(texts).shape == (2, len(FEATURE_NAMES))
    assert list(ConversationFeatures().get_feature_names_out()) == list(FEATURE_NAMES)


def test_transformers_accept_parsed_turns_and_strings_alike():
    texts = ["worker: How are you?\nclient: Fine.\nworker: Good."]
    parsed = ParseTranscripts().fit_transform(texts)
    np.testing.assert_array_equal(
        ConversationFeatures().fit_transform(parsed), ConversationFeatures().transform(texts)
    )
    assert WorkerText().fit_transform(parsed) == WorkerText().transform(texts)


def test_worker_text_keeps_only_worker_turns_by_default():
    assert WorkerText().fit_transform(["worker: Hi.\nclient: No.\nworker: Bye."]) == ["Hi.\nBye."]


def test_worker_text_can_add_client_words_with_a_prefix():
    out = WorkerText(include_client=True).fit_transform(["worker: Hi.\nclient: Not today."])
    assert out == ["Hi.\nclient_Not client_today."]


def test_transformers_reject_a_single_string():
    with pytest.raises(TypeError, match="single str"):
        ConversationFeatures().fit_transform("worker: hi")


def test_char_ngram_counts_match_scikit_learn_char_wb_including_unseen_words():
    train_texts = [
        "It sounds like you are EXHAUSTED.",
        "You feel judged; it sounds hard.",
        "Café  au\tlait, i  think",
        "a an I",
    ]
    test_texts = ["exhaustingly judged café", "zzz", ""]
    ours = CharNgramCounts((2, 4), min_df=2)
    reference = CountVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2)
    assert (ours.fit_transform(train_texts) != reference.fit_transform(train_texts)).nnz == 0
    assert (ours.transform(test_texts) != reference.transform(test_texts)).nnz == 0
    assert list(ours.get_feature_names_out()) == list(reference.get_feature_names_out())
