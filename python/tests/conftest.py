import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = pathlib.Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def article() -> str:
    return (ROOT / "tests" / "data" / "putin-kim-article.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def golden() -> dict:
    # Written by the Rust test `python_golden` (tests/integration/python_golden.rs).
    return json.loads((DATA / "golden.json").read_text(encoding="utf-8"))
