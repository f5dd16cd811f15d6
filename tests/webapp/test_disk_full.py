"""The disk fills during an upload, a recorded chunk, or the assembly of a recording.

The trainee gets 507 and a message they understand, partial files are removed, no half-made
recording stays in the database, and once space is freed the same trainee carries on.

The disk is REAL when the tests run as root: ``DATA_DIR`` is a 4 MB tmpfs mounted for the
test (unmounted afterwards) and a ballast file leaves only a little room.  Without root, or
where mounting is not allowed, the fault is injected instead at the lowest layer our code
writes through (``webapp.audio._write_chunk``), which then raises ``OSError(ENOSPC)`` past a
byte budget; the tests that need PyAV's own writes to fail (the preparation job) are
skipped in that mode.  The database file is outside ``DATA_DIR`` here, so it keeps working.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token
from webapp import audio
from webapp.extensions import db
from webapp.jobs import execute_job
from webapp.library.services import import_vignettes
from webapp.models import AuditEvent, Job, Recording, RecordingChunk, Role

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
VIGNETTES = Path(__file__).resolve().parents[2] / "vignettes"
SLUG = "school-referral-late-and-hungry"
DISK_BYTES = 4 * 1024 * 1024
STORAGE_WORDS = "run out of storage space"

pytestmark = pytest.mark.timeout(300)


class RealDisk:
    """A tmpfs of DISK_BYTES; ``fill`` writes a ballast file that leaves ``room`` bytes."""

    is_real = True

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ballast = root / "ballast.bin"

    def fill(self, room: int) -> None:
        self.free()
        stats = os.statvfs(self.root)
        available = stats.f_bavail * stats.f_frsize
        with open(self.ballast, "wb") as fh:
            fh.write(b"\0" * max(available - room, 0))

    def free(self) -> None:
        self.ballast.unlink(missing_ok=True)


class InjectedDisk:
    """Fallback: ``audio._write_chunk`` raises ENOSPC once ``room`` bytes have been written."""

    is_real = False

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.room: float = float("inf")
        original = audio._write_chunk

        def budgeted(fh, chunk):
            if len(chunk) > self.room:
                raise OSError(errno.ENOSPC, "No space left on device")
            self.room -= len(chunk)
            original(fh, chunk)

        monkeypatch.setattr(audio, "_write_chunk", budgeted)

    def fill(self, room: int) -> None:
        self.room = room

    def free(self) -> None:
        self.room = float("inf")


def mount_tmpfs(root: Path) -> bool:
    if os.geteuid() != 0:
        return False
    command = ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(root)]
    return subprocess.run(command, capture_output=True, check=False).returncode == 0


@pytest.fixture
def disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RealDisk | InjectedDisk]:
    root = tmp_path / "data"
    root.mkdir()
    if mount_tmpfs(root):
        yield RealDisk(root)
        subprocess.run(["umount", "--lazy", str(root)], check=True)
    else:
        yield InjectedDisk(root, monkeypatch)


@pytest.fixture
def app(app_factory, disk):
    application = app_factory(DATA_DIR=str(disk.root), WHISPER_MODEL="tiny.en", WHISPER_THREADS=1)
    with application.app_context():
        import_vignettes(VIGNETTES)
        db.session.commit()
    return application


@pytest.fixture
def trainee(login_as):
    browser, _ = login_as(Role.TRAINEE)
    browser.token = csrf_token(browser, "/")
    return browser


def upload(browser, name: str, *, as_json: bool = True):
    return browser.post(
        f"/practice/vignettes/{SLUG}/upload",
        data={
            "actor_id": "",
            "actor_name": "Alex Actor",
            "csrf_token": browser.token,
            "file": (BytesIO((FIXTURES / name).read_bytes()), name),
        },
        headers={"Accept": "application/json" if as_json else "text/html"},
        content_type="multipart/form-data",
    )


def start(browser) -> int:
    response = browser.post(
        f"/practice/vignettes/{SLUG}",
        data={"actor_id": "", "actor_name": "Alex Actor", "csrf_token": browser.token},
    )
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


def send_chunk(browser, recording_id: int, seq: int, data: bytes):
    return browser.post(
        f"/practice/recordings/{recording_id}/chunks/{seq}",
        data=data,
        headers={"X-CSRFToken": browser.token, "Content-Type": "application/octet-stream"},
    )


def finish(browser, recording_id: int, chunks: int):
    return browser.post(
        f"/practice/recordings/{recording_id}/finish",
        json={"chunks": chunks},
        headers={"X-CSRFToken": browser.token},
    )


def webm_pieces(count: int) -> list[bytes]:
    data = (FIXTURES / "dialogue.webm").read_bytes()
    size = len(data) // count + 1
    return [data[i : i + size] for i in range(0, len(data), size)]


def stored_files(app) -> set[str]:
    """Every file under DATA_DIR/recordings, relative (so leftovers are named in failures)."""
    root = Path(app.config["DATA_DIR"]) / "recordings"
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def assert_storage_full_answer(response) -> None:
    body = response.get_json()
    assert response.status_code == 507, body
    assert STORAGE_WORDS in body["message"] and "Traceback" not in response.get_data(as_text=True)


def assert_other_pages_work(browser) -> None:
    for page in ("/", "/practice/", f"/library/{SLUG}"):
        assert browser.get(page).status_code == 200, page


def test_upload_on_a_full_disk_is_507_and_leaves_nothing(app, disk, trainee):
    disk.fill(room=16 * 1024)  # jfk.ogg is 66 kB
    response = upload(trainee, "jfk.ogg")
    assert_storage_full_answer(response)
    assert stored_files(app) == set()
    assert (count(app, Recording), count(app, Job)) == (0, 0)
    with app.app_context():
        actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert "recording.uploaded" not in actions
    disk.free()
    retry = upload(trainee, "jfk.ogg")
    assert retry.status_code == 202, retry.get_json()
    status = trainee.get(f"/practice/recordings/{retry.get_json()['recording']}/status")
    assert status.get_json()["status"] == "ready"
    assert_other_pages_work(trainee)


def test_html_upload_on_a_full_disk_shows_the_message_on_the_form(app, disk, trainee):
    disk.fill(room=16 * 1024)
    response = upload(trainee, "jfk.ogg", as_json=False)
    assert response.status_code == 303
    page = trainee.get(response.headers["Location"]).get_data(as_text=True)
    assert STORAGE_WORDS in page
    assert stored_files(app) == set() and count(app, Recording) == 0


def test_chunk_on_a_full_disk_is_507_and_can_be_sent_again(app, disk, trainee):
    recording_id = start(trainee)
    (whole,) = webm_pieces(1)
    disk.fill(room=8 * 1024)  # the whole recording as one 35 kB chunk
    assert_storage_full_answer(send_chunk(trainee, recording_id, 0, whole))
    assert stored_files(app) == set()
    assert count(app, RecordingChunk) == 0
    disk.free()
    assert send_chunk(trainee, recording_id, 0, whole).status_code == 201
    assert finish(trainee, recording_id, 1).status_code == 202
    assert trainee.get(f"/practice/recordings/{recording_id}/status").get_json()["status"] == (
        "ready"
    )
    assert_other_pages_work(trainee)


def test_finishing_on_a_full_disk_is_507_and_keeps_the_chunks(app, disk, trainee):
    recording_id = start(trainee)
    parts = webm_pieces(3)
    for seq, data in enumerate(parts):
        assert send_chunk(trainee, recording_id, seq, data).status_code == 201
    chunks = stored_files(app)
    disk.fill(room=8 * 1024)  # assembling needs the whole 35 kB again
    assert_storage_full_answer(finish(trainee, recording_id, len(parts)))
    assert stored_files(app) == chunks  # no half-assembled original, chunks kept to retry
    with app.app_context():
        recording = db.session.get(Recording, recording_id)
        assert (recording.status, recording.duration_seconds) == ("recording", None)
    assert count(app, Job) == 0
    disk.free()
    assert finish(trainee, recording_id, len(parts)).status_code == 202
    assert trainee.get(f"/practice/recordings/{recording_id}/status").get_json()["status"] == (
        "ready"
    )


def test_abandoned_recording_waits_for_space_instead_of_failing(app, disk, trainee):
    from datetime import timedelta

    from webapp.orm import utcnow
    from webapp.practice.services import abandon_stale_recordings

    recording_id = start(trainee)
    for seq, data in enumerate(webm_pieces(3)):
        assert send_chunk(trainee, recording_id, seq, data).status_code == 201
    chunks = stored_files(app)
    with app.app_context():
        db.session.get(Recording, recording_id).last_chunk_at = utcnow() - timedelta(hours=3)
        db.session.commit()
    disk.fill(room=8 * 1024)
    with app.app_context():
        assert abandon_stale_recordings(120) == []  # the periodic job tries again later
        db.session.commit()
        assert db.session.get(Recording, recording_id).status == "recording"
    assert stored_files(app) == chunks
    disk.free()
    with app.app_context():
        assert abandon_stale_recordings(120) == [recording_id]
        db.session.commit()
        assert db.session.get(Recording, recording_id).status == "ready"


@pytest.mark.parametrize(
    "room_kb",
    [
        pytest.param(80, id="playback copy fails in PyAV's muxer"),
        pytest.param(160, id="speech.wav fails in Python's writer"),
    ],
)
def test_disk_filling_during_preparation_leaves_the_job_to_retry(app, disk, trainee, room_kb):
    if not disk.is_real:
        pytest.skip("needs a real full disk: PyAV's encoder writes outside our Python code")
    # Room for the 66 kB upload; not for its 44 kB playback copy (80), or for the copy
    # but not its 350 kB speech.wav (160).
    disk.fill(room=room_kb * 1024)
    response = upload(trainee, "jfk.ogg")
    assert response.status_code == 202, response.get_json()
    recording_id = response.get_json()["recording"]
    with app.app_context():
        job = db.session.scalar(sa.select(Job).filter_by(subject_id=recording_id))
        recording = db.session.get(Recording, recording_id)
        assert job.status == "queued" and "StorageFull" in job.error  # retried with backoff
        assert recording.status == "processing" and recording.error is None
        job_id, storage_key = job.id, recording.storage_key
    assert stored_files(app) == {f"{storage_key}/original.ogg"}
    disk.free()
    with app.app_context():
        assert execute_job(job_id) == "done"
    status = trainee.get(f"/practice/recordings/{recording_id}/status").get_json()
    assert status["status"] == "ready"
    assert_other_pages_work(trainee)
