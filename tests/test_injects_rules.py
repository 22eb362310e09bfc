"""The rules and templates file: the shipped one is complete, mistakes are clear messages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.injects import DEFAULT_RULES, TRIGGER_KINDS, RulesError, load_rules, rules_from_dict
from sim.injects.checks import placeholders
from sim.injects.fields import KIND_FIELDS, TEXT_FIELDS


@pytest.fixture(scope="module")
def default():
    return load_rules()


def write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_default_rules_cover_every_trigger_kind_in_three_languages(default):
    assert default.languages == ["sv", "nb", "en"]
    kinds = {rule.when.kind for _, rule in default.enabled_rules()}
    assert kinds == set(TRIGGER_KINDS)
    for rule_id, rule in default.rules.items():
        assert set(rule.text) == {"sv", "nb", "en"}, rule_id
        for lang, text in rule.text.items():
            for key in TEXT_FIELDS:
                value = getattr(text, "from_" if key == "from" else key)
                assert value.strip(), (rule_id, lang, key)
                assert set(placeholders(value)) <= set(KIND_FIELDS[rule.when.kind])


def test_default_disruption_rules_cover_every_disruption_type(default):
    from sim.injects.rules import DISRUPTION_TYPES

    covered = set()
    for _, rule in default.enabled_rules():
        if rule.when.kind == "disruption_start":
            covered |= set(rule.when.disruption_types or DISRUPTION_TYPES)
    assert covered == set(DISRUPTION_TYPES)


def test_unknown_placeholder_names_file_line_and_suggestion(tmp_path):
    path = write(tmp_path, """\
extends: default
rules:
  supplier_cut:
    text:
      en:
        message: "{node_name} delivers {share_pct} % of {prodct_name} from {when}"
""")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert f"{path}:{line_of(path, 'prodct_name')}:" in message
    assert "rules.supplier_cut.text.en.message" in message
    assert "unknown placeholder '{prodct_name}'" in message
    assert "did you mean 'product_name'?" in message
    assert len(caught.value.problems) == 1


def test_placeholder_of_another_kind_is_refused(tmp_path):
    # share_pct exists, but not for disruption injects.
    path = write(tmp_path, """\
extends: default
rules:
  disruption_end:
    text:
      sv: {message: "Klart, {share_pct} %"}
""")
    with pytest.raises(RulesError, match=r"unknown placeholder '\{share_pct\}'.*"
                                         r"disruption_end provides"):
        load_rules(path)


def test_unknown_key_gets_a_did_you_mean(tmp_path):
    path = write(tmp_path, """\
extends: default
rules:
  supplier_cut:
    severty: 90
""")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert f"{path}:4: rules.supplier_cut.severty: unknown key 'severty'; " \
           "did you mean 'severity'?" in message


def test_unknown_trigger_kind_and_actor(tmp_path):
    path = write(tmp_path, """\
extends: default
rules:
  supplier_cut:
    when: {kind: alocation_cut}
""")
    with pytest.raises(RulesError, match=r"rules.supplier_cut.when.kind: got 'alocation_cut'; "
                                         r"expected .*did you mean 'allocation_cut'\?"):
        load_rules(path)
    path = write(tmp_path, """\
extends: default
rules:
  ward_first_stockout:
    to: ward_manger
  supplier_cut:
    method: fax
""")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert f"{path}:4: rules.ward_first_stockout.to: unknown actor 'ward_manger'; " \
           "did you mean 'ward_manager'?" in message
    assert "unknown method 'fax' (labels.sv.methods: phone, email, media, sitrep)" in message


def test_a_rule_needs_every_language(tmp_path):
    base = load_rules()
    rule = base.rules["supplier_cut"].model_dump(by_alias=True)
    del rule["text"]["nb"]
    with pytest.raises(RulesError, match=r"rules.extra.text: no text for language 'nb'"):
        rules_from_dict({"extends": "default", "rules": {"extra": rule}})


def test_braces_and_number_formats_are_explained(tmp_path):
    path = write(tmp_path, """\
extends: default
rules:
  supplier_cut:
    text:
      en: {synopsis: "Cut {node_name", message: "{share_pct:.0f} % of {product_name}"}
""")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert "expected '}' before end of string; write {{ and }} for a literal brace" in message
    assert "already formatted for the language" in message


def test_filters_must_fit_the_kind(tmp_path):
    path = write(tmp_path, """\
extends: default
rules:
  supplier_cut:
    when: {thresholds: [7]}
    group_by: [disruption]
  disruption_end:
    when: {roles: [ward]}
""")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert "thresholds apply to dos_below and dos_recovered, not allocation_cut" in message
    assert "'disruption': allocation_cut is not a disruption trigger" in message
    assert "disruption_end concerns a disruption, not nodes or products" in message


def test_extending_the_default_changes_only_what_is_given(tmp_path):
    path = write(tmp_path, """\
extends: default
rules:
  wholesaler_dos: {enabled: false}
  supplier_cut: {when: {below: 0.5}}
  my_rule:
    when: {kind: first_stockout, roles: [ward]}
    to: ward_manager
    method: phone
    severity: 99
    text:
      sv: {from: A, synopsis: "{product_name}", message: M, expected_action: X, capability: C}
      nb: {from: A, synopsis: "{product_name}", message: M, expected_action: X, capability: C}
      en: {from: A, synopsis: "{product_name}", message: M, expected_action: X, capability: C}
""")
    rules = load_rules(path)
    ids = [rule_id for rule_id, _ in rules.enabled_rules()]
    assert "wholesaler_dos" not in ids and ids[-1] == "my_rule"
    assert rules.rules["supplier_cut"].when.below == 0.5
    assert rules.rules["supplier_cut"].when.roles == ["manufacturer", "wholesaler"]
    assert rules.file == str(path)


def test_unknown_language_suggests_the_code(default):
    with pytest.raises(ValueError, match=r"unknown language 'se'; did you mean 'sv'\?"):
        default.language("se")
    with pytest.raises(ValueError, match=r"did you mean 'nb'\?"):
        default.language("norsk")
    with pytest.raises(ValueError, match=r"languages in .*default.yaml: sv, nb, en"):
        default.language("de")


def test_norway_is_not_false(tmp_path):
    text = DEFAULT_RULES.read_text(encoding="utf-8").replace("'NO': Norge", "NO: Norge", 1)
    path = write(tmp_path, text)
    with pytest.raises(RulesError, match=r"YAML reads NO, no, yes, on and off as true/false"):
        load_rules(path)


def test_invalid_yaml_and_missing_file(tmp_path):
    path = write(tmp_path, "rules: [\n")
    with pytest.raises(RulesError, match=re.escape(str(path)) + r":\d+: not valid YAML"):
        load_rules(path)
    with pytest.raises(RulesError, match="file not found"):
        load_rules(tmp_path / "nope.yaml")


def test_docs_describe_every_field_and_shipped_rule(default):
    from tests.conftest import ROOT

    docs = (ROOT / "docs/injects.md").read_text(encoding="utf-8")
    for kind, fields in KIND_FIELDS.items():
        assert f"`{kind}`" in docs
        for field in fields:
            assert f"`{field}`" in docs, field
    for rule_id in default.rules:
        assert f"`{rule_id}`" in docs, rule_id


def test_sheet_names_excel_refuses_are_caught_when_loading(tmp_path):
    path = write(tmp_path, """\
extends: default
labels:
  sv:
    sheet: Inspel/MSEL
  en:
    about: {about: "About [draft]"}
  nb:
    sheet: Dreiebok for øvelsen i region Helse Sør-Øst
""")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert f"{path}:4: labels.sv.sheet: 'Inspel/MSEL' names a spreadsheet tab, which cannot " \
           "contain /" in message
    assert "labels.en.about.about: 'About [draft]' names a spreadsheet tab, which cannot " \
           "contain [ ]" in message
    assert "labels.nb.sheet:" in message and "at most 31" in message


def test_conversions_and_unknown_date_directives_are_refused(tmp_path):
    path = write(tmp_path, """\
extends: default
labels:
  sv: {date_format: "%Q %d"}
rules:
  supplier_cut:
    text:
      en: {synopsis: "{node_name!r} cuts"}
""")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert "placeholder '{node_name!r}': write just {node_name}" in message
    assert "labels.sv.date_format: '%Q' in '%Q %d' is not a date directive" in message


def test_a_missing_extends_file_names_the_file_that_refers_to_it(tmp_path):
    path = write(tmp_path, "# my rules\nextends: nothere.yaml\n")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert f"{path}:2: extends: 'nothere.yaml': no such rules file" in message


def test_keep_most_severe_and_it_outage_to_customers_are_allowed(default):
    assert default.rules["supplier_cut"].keep == "most_severe"
    assert default.rules["it_outage_start"].to == "customers"
    with pytest.raises(RulesError, match=r"'customers': transport, export_ban disruptions hit "
                                         r"transport links, not nodes"):
        rules_from_dict({"extends": "default",
                         "rules": {"disruption_end": {"to": "customers"}}})


def test_every_disruption_type_has_a_start_rule_and_words_in_every_language():
    from sim.injects.rules import DISRUPTION_TYPES
    from sim.scenario import schema

    rules = load_rules()
    started = {t for r in rules.rules.values() if r.when.kind == "disruption_start"
               for t in (r.when.disruption_types or [])}
    types = {m.model_fields["type"].annotation.__args__[0]
             for m in schema.Disruption.__origin__.__args__}
    assert types == set(DISRUPTION_TYPES) == started
    for lang in rules.languages:
        assert set(rules.labels[lang].disruption_types) == types
