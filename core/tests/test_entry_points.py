"""The dist-info reader agrees with importlib.metadata on what is installed."""

import importlib.metadata as metadata

from plugformers.entry_points import entry_points, installed_distributions, parse_entry_points


def _fake_dist(root, name, version, entry_points_txt=None, requires=()):
    info = root / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    headers = [f"Name: {name}", f"Version: {version}", *(f"Requires-Dist: {r}" for r in requires)]
    (info / "METADATA").write_text("\n".join(headers) + "\n\nRequires-Dist: not-a-header\n")
    if entry_points_txt is not None:
        (info / "entry_points.txt").write_text(entry_points_txt)


def test_parse_sections_comments_and_spaces():
    text = "[console_scripts]\nx = a:b\n\n# comment\n[plugformers]\nbert = plugformers_bert.plugin\n gpt2=p.plugin \n"
    assert parse_entry_points(text, "plugformers") == [("bert", "plugformers_bert.plugin"), ("gpt2", "p.plugin")]


def test_first_on_path_wins_and_requirements_stop_at_headers(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    _fake_dist(first, "plugformers_demo", "1.0", "[plugformers]\ndemo = demo_v1.plugin\n", requires=["plugformers>=0.1"])
    _fake_dist(second, "plugformers_demo", "2.0", "[plugformers]\ndemo = demo_v2.plugin\n")
    dists = installed_distributions([str(first), str(second)])
    assert list(dists) == ["plugformers-demo"]
    assert dists["plugformers-demo"].requires() == ["plugformers>=0.1"]
    assert [(n, v) for n, v, _ in entry_points("plugformers", dists)] == [("demo", "demo_v1.plugin")]


def test_matches_importlib_metadata_for_this_environment():
    ours = {(n, v, d.name) for n, v, d in entry_points("console_scripts")}
    theirs = set()
    for ep in metadata.entry_points(group="console_scripts"):
        theirs.add((ep.name, ep.value, ep.dist.name.lower().replace("_", "-").replace(".", "-")))
    assert ours == theirs
