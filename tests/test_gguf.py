import hashlib
import sys

import pytest

from rag.errors import ModelError
from rag.gguf import GgufSpec, assemble, check_gguf, small_llm_path, verify_file


@pytest.fixture()
def fake_parts(tmp_path, monkeypatch):
    """A package holding three parts of a fake model, importable like the real part packages."""
    package = tmp_path / "pkgs" / "fake_model_parts"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    blobs = [b"GGUF" + bytes(range(256)) * 40, b"middle" * 5000, b"tail" * 1234]
    for number, blob in enumerate(blobs, start=1):
        (package / "data" / f"part{number:02d}.bin").write_bytes(blob)
    monkeypatch.syspath_prepend(str(tmp_path / "pkgs"))
    whole = b"".join(blobs)
    spec = GgufSpec("fake.gguf", len(whole), hashlib.sha256(whole).hexdigest(),
                    tuple(("fake_model_parts", f"data/part{n:02d}.bin") for n in (1, 2, 3)), "pip install fake")
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
