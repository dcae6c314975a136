import dataclasses
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from rag.errors import ModelError
from rag.gguf import GgufSpec, assemble, check_gguf, ensure_gguf, small_llm_path, verify_file

from conftest import REPO


def make_parts(root: Path, blobs: list[bytes]) -> tuple[GgufSpec, bytes]:
    """A package `fake_model_parts` under root/pkgs holding the blobs as parts of one model."""
    package = root / "pkgs" / "fake_model_parts"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for number, blob in enumerate(blobs, start=1):
        (package / "data" / f"part{number:02d}.bin").write_bytes(blob)
    whole = b"".join(blobs)
    parts = tuple(("fake_model_parts", f"data/part{n:02d}.bin") for n in range(1, len(blobs) + 1))
    return GgufSpec("fake.gguf", len(whole), hashlib.sha256(whole).hexdigest(), parts, "pip install fake"), whole


@pytest.fixture()
def fake_parts(tmp_path, monkeypatch):
    """Three parts of a fake model, importable like the real part packages."""
    spec, whole = make_parts(tmp_path, [b"GGUF" + bytes(range(256)) * 40, b"middle" * 5000, b"tail" * 1234])
    monkeypatch.syspath_prepend(str(tmp_path / "pkgs"))
    yield spec, whole
    sys.modules.pop("fake_model_parts", None)


def test_assembly_is_exact_and_verified(fake_parts, tmp_path):
    spec, whole = fake_parts
    dest = assemble(spec, tmp_path / "models" / "fake.gguf", show_progress=False)
    assert dest.read_bytes() == whole
    assert verify_file(dest, spec.sha256)
    assert not list(dest.parent.glob(".*.part"))


def test_corrupt_or_partial_file_is_detected(fake_parts, tmp_path):
    spec, whole = fake_parts
    dest = assemble(spec, tmp_path / "fake.gguf", show_progress=False)
    dest.write_bytes(whole[:-10])  # truncated: size and mtime change, so it is rehashed
    assert not verify_file(dest, spec.sha256)
    dest.write_bytes(whole[:-1] + b"X")
    assert not verify_file(dest, spec.sha256)


def test_wrong_hash_refuses_and_leaves_nothing(fake_parts, tmp_path):
    spec, _ = fake_parts
    bad = GgufSpec(spec.file_name, spec.size, "0" * 64, spec.parts, spec.install_hint)
    with pytest.raises(ModelError, match="SHA-256"):
        assemble(bad, tmp_path / "fake.gguf", show_progress=False)
    assert list(tmp_path.iterdir()) == [tmp_path / "pkgs"]


def test_missing_part_package_is_a_clear_error(tmp_path):
    spec = GgufSpec("x.gguf", 1, "0" * 64, (("no_such_model_part", "data/part01.bin"),), "pip install it")
    with pytest.raises(ModelError, match="not installed; run `pip install it`"):
        assemble(spec, tmp_path / "x.gguf", show_progress=False)


def test_user_gguf_checks(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        check_gguf(tmp_path / "none.gguf")
    other = tmp_path / "model.gguf"
    other.write_bytes(b"NOPE" + b"0" * 100)
    with pytest.raises(ModelError, match="not a GGUF"):
        check_gguf(other)


def test_small_llm_is_there_and_hash_checked():
    path = small_llm_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50_000_000


@pytest.mark.parametrize("damage", ["missing", "truncated", "one-byte-changed", "stale-part-left"])
def test_damaged_model_in_the_cache_is_rebuilt(fake_parts, tmp_path, damage):
    """The models cache holds a missing, truncated or wrong-hash file, or the .part of a killed
    assembly: the next use assembles it again, verified, and removes the leftover."""
    spec, whole = fake_parts
    models = tmp_path / "models"
    dest = ensure_gguf(spec, models, show_progress=False)
    if damage == "missing":
        dest.unlink()
    elif damage == "truncated":
        dest.write_bytes(whole[: len(whole) // 2])
    elif damage == "one-byte-changed":
        dest.write_bytes(whole[:-1] + b"X")
    else:  # what a killed assembly leaves: its .part, and no file under the final name
        (models / f".{spec.file_name}.dead.part").write_bytes(whole[:100])
        dest.unlink()
    assert ensure_gguf(spec, models, show_progress=False) == dest
    assert dest.read_bytes() == whole and verify_file(dest, spec.sha256) and check_gguf(dest)
    assert not list(models.glob("*.part"))


# Assembles the fake model into a models cache (one process per run, killed at random)
ASSEMBLE = """
import json, sys
from rag.gguf import GgufSpec, ensure_gguf
spec = json.loads(sys.argv[1])
ensure_gguf(GgufSpec(spec[0], spec[1], spec[2], tuple(map(tuple, spec[3])), spec[4]), sys.argv[2],
            show_progress=False)
"""
KILL_RUNS = 20


@pytest.mark.slow  # KILL_RUNS real assemblies, each killed
def test_kill_9_during_model_assembly_never_leaves_a_loadable_partial_file(tmp_path):
    """The assembly killed with SIGKILL at 20 random (seeded) moments, each time over a cache
    whose file is missing or corrupt: afterwards the file under the final name is either the
    complete, verified model or the old corrupt bytes (which never verify), never partial new
    bytes; the next clean run returns the verified model and removes every leftover."""
    rng = random.Random(6)
    blobs = [b"GGUF" + rng.randbytes(12 << 20), rng.randbytes(12 << 20), rng.randbytes(8 << 20)]
    spec, whole = make_parts(tmp_path, blobs)
    models = tmp_path / "models"
    dest = models / spec.file_name
    command = [sys.executable, "-c", ASSEMBLE, json.dumps(dataclasses.astuple(spec)), str(models)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "pkgs"), os.environ.get("PYTHONPATH", "")])}

    def assemble_in_process(kill_after: float | None) -> float:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=REPO)
        if kill_after is not None:
            time.sleep(kill_after)
            process.kill()  # SIGKILL
        assert process.wait(timeout=120) in (0, -signal.SIGKILL)
        return time.perf_counter() - started

    full = assemble_in_process(None)
    assert dest.read_bytes() == whole
    outcomes = Counter()
    for run in range(KILL_RUNS):
        corrupt = whole[: rng.randrange(1, len(whole))] if run % 2 else None  # missing, or cut short
        dest.unlink()
        if corrupt is not None:
            dest.write_bytes(corrupt)
        assemble_in_process(rng.uniform(0, 1.3 * full))
        if verify_file(dest, spec.sha256):
            assert dest.read_bytes() == whole
            outcomes["complete"] += 1
        else:
            assert (dest.read_bytes() if dest.exists() else None) == corrupt
            outcomes["previous"] += 1
            dest.write_bytes(whole)  # the next run starts from a known state again
        assert {p.name for p in models.iterdir()} <= {dest.name, f"{dest.name}.verified.json",
                                                      f".{dest.name}.lock"} | {p.name for p in models.glob(".*.part")}
    assert outcomes["complete"] and outcomes["previous"], outcomes
    dest.write_bytes(whole[:100])
    assemble_in_process(None)  # a clean run after all the kills
    assert verify_file(dest, spec.sha256) and dest.read_bytes() == whole and check_gguf(dest)
    assert not list(models.glob(".*.part"))
