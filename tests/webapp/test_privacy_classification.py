"""Every stored column has a privacy classification, so new columns force a decision."""

from __future__ import annotations

from webapp.extensions import db
from webapp.privacy.classification import CLASSIFICATION, Level, get_level, list_unclassified


def test_every_table_and_column_is_classified(app):
    tables = {name: [c.name for c in table.columns] for name, table in db.metadata.tables.items()}
    assert list_unclassified(tables) == [], "classify these in webapp/privacy/classification.py"


def test_classification_names_no_table_or_column_that_does_not_exist(app):
    tables = db.metadata.tables
    stale = [
        f"{name}.{column}"
        for name, columns in CLASSIFICATION.items()
        for column in columns
        if name not in tables or column not in tables[name].columns
    ]
    assert stale == []


def test_names_emails_and_speech_are_identifying():
    for table, column in [("users", "email"), ("users", "name"), ("transcript_segments", "text")]:
        assert get_level(table, column) == Level.IDENTIFYING
    assert get_level("recordings", "public_code") == Level.PSEUDONYMOUS


def test_a_new_column_is_reported():
    assert list_unclassified({"users": ["email", "shoe_size"], "pets": ["id"]}) == [
        "pets.id",
        "users.shoe_size",
    ]
