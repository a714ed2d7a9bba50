"""Results folders appear whole or not at all."""

import pytest

from gridvalue.experiments.atomic import atomic_folder


def test_folder_appears_only_when_the_block_completes(tmp_path):
    out = tmp_path / "deep" / "out"
    with atomic_folder(out) as tmp:
        (tmp / "a.txt").write_text("a")
        assert not out.exists()
    assert (out / "a.txt").read_text() == "a"
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]


def test_an_error_leaves_nothing_and_an_empty_target_stays(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RuntimeError), atomic_folder(out) as tmp:
        (tmp / "a.txt").write_text("a")
        raise RuntimeError("boom")
    assert out.is_dir() and not any(out.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
