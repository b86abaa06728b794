"""Postback macros: values from the facts of a postback, rendering and link templates."""

from __future__ import annotations

import json
import re
import string
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.macros import (
    SUBID_MACROS,
    SYSTEM_MACROS,
    PostbackFacts,
    device_ids,
    macro_values,
    macros_in,
    render,
    rewrite_link_template,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "macros.md"

GAID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
IDFA = "6d92078a-8246-4ba4-ae5b-76104861e7dc"
IDFV = "b5b3c1e2-7f9a-4c1d-8e2f-0a1b2c3d4e5f"
APP_SET_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
ANDROID_ID = "9774d56d682e549c"
OAID = "a1b2c3d4e5f60718"
INSTANCE_ID = "5e0c3a7d-1f2b-4c6d-9e8f-7a6b5c4d3e2f"

FULL = PostbackFacts(
    postback_id="pb-1",
    event_type="purchase",
    event_ts=datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC),
    app_id="app-1",
    event_name="buy_gems",
    install_id="inst-1",
    install_ts=datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC),
    click_id="click-1",
    click_ts=datetime(2026, 3, 1, 9, 58, 20, 300000, tzinfo=UTC),
    campaign_id="camp-1",
    partner_id="adnet",
    link_code="b1c2d3",
    platform="android",
    device={
        "gaid": GAID,
        "idfa": IDFA,
        "idfv": IDFV,
        "android_id": ANDROID_ID,
        "oaid": OAID,
        "app_set_id": APP_SET_ID,
        "instance_id": INSTANCE_ID,
    },
    ip="203.0.113.7",
    ua="Mozilla/5.0 (Linux; Android 14)",
    country="DE",
    revenue=Decimal("10.50"),
    currency="EUR",
    subids={"network": "adnet", "sub1": "s1"},
    click_params={"clickId": "abc123", "utm_source": "adnet"},
    partner_params={"account": "42"},
    event_params={"level": "7"},
)

# Every system macro with its value for FULL (docs/macros.md shows the same examples).
EXPECTED = {
    "mt_gaid": GAID,
    "mt_gaid_lc": GAID,
    "mt_gaid_uc": GAID.upper(),
    "mt_idfa": IDFA,
    "mt_idfa_lc": IDFA,
    "mt_idfa_uc": IDFA.upper(),
    "mt_android_id": ANDROID_ID,
    "mt_android_id_lc": ANDROID_ID,
    "mt_android_id_uc": ANDROID_ID.upper(),
    "mt_oaid": OAID,
    "mt_oaid_lc": OAID,
    "mt_oaid_uc": OAID.upper(),
    "mt_idfv": IDFV,
    "mt_idfv_lc": IDFV,
    "mt_idfv_uc": IDFV.upper(),
    "mt_app_set_id": APP_SET_ID,
    "mt_app_set_id_lc": APP_SET_ID,
    "mt_app_set_id_uc": APP_SET_ID.upper(),
    "mt_idfa_or_gaid": GAID,  # FULL is an Android app's: its GAID, though an IDFA is known
    "mt_idfa_upper_or_gaid_lower": GAID,
    "mt_instance_id": INSTANCE_ID,
    "mt_event_ts": "1772366430",
    "mt_event_name": "buy_gems",
    "mt_event_type": "purchase",
    "mt_payment_sum_src": "10.50",
    "mt_payment_currency": "EUR",
    "mt_install_ts": "1772359200",
    "mt_click_ts": "1772359100",
    "mt_ctit": "99",
    "mt_ip": "203.0.113.7",
    "mt_ua": "Mozilla/5.0 (Linux; Android 14)",
    "mt_country": "DE",
    "mt_platform": "android",
    "mt_app_id": "app-1",
    "mt_campaign_id": "camp-1",
    "mt_partner_id": "adnet",
    "mt_link_id": "b1c2d3",
    "mt_click_id": "click-1",
    "mt_install_id": "inst-1",
    "mt_postback_id": "pb-1",
}

MINIMAL = PostbackFacts(
    postback_id="pb-2",
    event_type="install",
    event_ts=datetime(2026, 3, 1, tzinfo=UTC),
    app_id="app-1",
)

UNRESERVED = set(string.ascii_letters + string.digits + "-._~")
ESCAPED = re.compile(r"(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})*")


def facts(**changes: object) -> PostbackFacts:
    return PostbackFacts(
        **{
            "postback_id": "pb-3",
            "event_type": "install",
            "event_ts": datetime(2026, 3, 1, tzinfo=UTC),
            "app_id": "app-1",
            **changes,
        }
    )


# system macros


def test_the_table_covers_every_system_macro() -> None:
    assert list(EXPECTED) == list(SYSTEM_MACROS)


@pytest.mark.parametrize("name", list(SYSTEM_MACROS))
def test_every_system_macro_renders_from_full_facts(name: str) -> None:
    values = macro_values(FULL)
    assert values[name] == EXPECTED[name]
    assert render(f"{{{name}}}", values, encoding="none") == EXPECTED[name]


def test_system_macros_have_one_line_descriptions() -> None:
    for name, description in SYSTEM_MACROS.items():
        assert re.fullmatch(r"mt_[a-z_]+", name)
        assert description and "\n" not in description and "|" not in description


def test_minimal_facts_give_only_what_they_know() -> None:
    assert macro_values(MINIMAL) == {
        "mt_event_ts": "1772323200",
        "mt_event_type": "install",
        "mt_app_id": "app-1",
        "mt_postback_id": "pb-2",
    }


@pytest.mark.parametrize("device", ["gaid", "idfa", "idfv", "android_id", "oaid", "app_set_id"])
def test_device_id_case_variants(device: str) -> None:
    values = macro_values(facts(device={device: "AbCdEf"}))
    assert values[f"mt_{device}"] == "AbCdEf"
    assert values[f"mt_{device}_lc"] == "abcdef"
    assert values[f"mt_{device}_uc"] == "ABCDEF"


@pytest.mark.parametrize(
    ("device", "or_gaid", "upper_or_lower"),
    [
        ({"idfa": "AbCd", "gaid": "EfGh"}, "AbCd", "ABCD"),
        ({"idfa": "AbCd"}, "AbCd", "ABCD"),
        ({"gaid": "EfGh"}, "EfGh", "efgh"),
        ({"idfa": "", "gaid": "EfGh"}, "EfGh", "efgh"),
        ({"idfv": "Ij"}, None, None),
        ({}, None, None),
    ],
)
def test_idfa_or_gaid_falls_back_to_the_gaid_on_another_platform(
    device: dict[str, str], or_gaid: str | None, upper_or_lower: str | None
) -> None:
    for platform in (None, "web"):
        values = macro_values(facts(device=device, platform=platform))
        assert values.get("mt_idfa_or_gaid") == or_gaid
        assert values.get("mt_idfa_upper_or_gaid_lower") == upper_or_lower
        template = "{mt_idfa_or_gaid}|{mt_idfa_upper_or_gaid_lower}"
        assert render(template, values) == f"{or_gaid or ''}|{upper_or_lower or ''}"


@pytest.mark.parametrize(
    ("platform", "device", "or_gaid", "upper_or_lower"),
    [
        ("ios", {"idfa": "AbCd", "gaid": "EfGh"}, "AbCd", "ABCD"),
        ("ios", {"gaid": "EfGh"}, None, None),
        ("android", {"idfa": "AbCd", "gaid": "EfGh"}, "EfGh", "efgh"),
        ("android", {"idfa": "AbCd"}, None, None),
        ("android", {"gaid": "EFGH"}, "EFGH", "efgh"),
    ],
)
def test_idfa_or_gaid_is_the_advertising_id_of_the_apps_platform(
    platform: str, device: dict[str, str], or_gaid: str | None, upper_or_lower: str | None
) -> None:
    values = macro_values(facts(device=device, platform=platform))
    assert values.get("mt_idfa_or_gaid") == or_gaid
    assert values.get("mt_idfa_upper_or_gaid_lower") == upper_or_lower


SHARED = {"idfa": "aaaa0000", "gaid": "aaaa0000"}  # one partner token under both names


@pytest.mark.parametrize(
    ("platform", "event", "click", "expected"),
    [
        ("android", {"gaid": "g1"}, SHARED, {"gaid": "g1"}),
        ("android", {}, SHARED | {"idfv": "v", "oaid": "o"}, {"gaid": "aaaa0000", "oaid": "o"}),
        ("ios", {"idfa": "i1"}, SHARED, {"idfa": "i1"}),
        ("ios", {}, SHARED | {"android_id": "a", "idfv": "v"}, {"idfa": "aaaa0000", "idfv": "v"}),
        ("web", {"instance_id": "x"}, SHARED, {"instance_id": "x"} | SHARED),
        (None, {"gaid": "g1"}, SHARED, {"gaid": "g1", "idfa": "aaaa0000"}),
        # The event's own ids are kept whatever the platform: only the click's are filtered.
        ("android", {"idfa": "i1"}, {}, {"idfa": "i1"}),
    ],
)
def test_an_install_takes_no_device_id_of_the_other_platform_from_its_click(
    platform: str | None,
    event: dict[str, str],
    click: dict[str, str],
    expected: dict[str, str],
) -> None:
    assert device_ids(platform, event, click) == expected


# time


def test_timestamps_are_floored_unix_seconds_and_ctit_is_floored() -> None:
    values = macro_values(
        facts(
            event_ts=datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
            click_ts=datetime(2026, 3, 1, 0, 0, 0, 999999, tzinfo=UTC),
            install_ts=datetime(2026, 3, 1, 0, 1, 0, 999998, tzinfo=UTC),
        )
    )
    assert values["mt_event_ts"] == "-1"
    assert values["mt_click_ts"] == "1772323200"
    assert values["mt_install_ts"] == "1772323260"
    assert values["mt_ctit"] == "59"


def test_ctit_needs_both_the_click_and_the_install() -> None:
    ts = datetime(2026, 3, 1, tzinfo=UTC)
    assert "mt_ctit" not in macro_values(facts(install_ts=ts))
    assert "mt_ctit" not in macro_values(facts(click_ts=ts))


def test_an_aware_timestamp_in_another_zone_is_the_same_instant() -> None:
    moscow = timezone(timedelta(hours=3))
    values = macro_values(facts(event_ts=datetime(2026, 3, 1, 15, 0, 30, tzinfo=moscow)))
    assert values["mt_event_ts"] == EXPECTED["mt_event_ts"]


@pytest.mark.parametrize("field", ["event_ts", "install_ts", "click_ts"])
def test_a_naive_timestamp_is_refused(field: str) -> None:
    with pytest.raises(ValueError, match=f"{field} must be timezone-aware"):
        macro_values(facts(**{field: datetime(2026, 3, 1)}))


# revenue


@pytest.mark.parametrize(
    ("revenue", "shown"),
    [
        ("10.50", "10.50"),
        ("10", "10"),
        ("0", "0"),
        ("0.00", "0.00"),
        ("0.00000010", "0.00000010"),
        ("1E+3", "1000"),
        ("123456789012345678.123456789012345678", "123456789012345678.123456789012345678"),
    ],
)
def test_revenue_is_shown_exactly_as_sent_without_exponent(revenue: str, shown: str) -> None:
    values = macro_values(facts(revenue=Decimal(revenue), currency="USD"))
    assert values["mt_payment_sum_src"] == shown
    assert values["mt_payment_currency"] == "USD"


@pytest.mark.parametrize("revenue", ["NaN", "Infinity"])
def test_a_non_finite_revenue_is_refused(revenue: str) -> None:
    with pytest.raises(ValueError, match="finite"):
        macro_values(facts(revenue=Decimal(revenue)))


# SubIDs, parameters and precedence


def test_subids_partner_event_and_click_parameters() -> None:
    values = macro_values(FULL)
    assert values["mt_network"] == "adnet"
    assert values["mt_sub1"] == "s1"
    assert "mt_sub2" not in values
    assert values["mtpp_account"] == "42"
    assert values["mtep_level"] == "7"
    assert values["clickId"] == "abc123"
    assert values["utm_source"] == "adnet"
    assert render("{clickId}", values) == "abc123"


def test_only_known_subids_are_macros() -> None:
    assert set(SUBID_MACROS) == {
        "mt_network",
        "mt_campaign",
        "mt_adset",
        "mt_creative",
        "mt_medium",
        *(f"mt_sub{i}" for i in range(1, 6)),
    }
    assert "mt_other" not in macro_values(facts(subids={"other": "x"}))


def test_system_macros_win_over_click_parameters() -> None:
    values = macro_values(facts(ip="198.51.100.1", click_params={"mt_ip": "1.2.3.4"}))
    assert values["mt_ip"] == "198.51.100.1"
    values = macro_values(facts(click_params={"mt_event_type": "purchase", "mt_ip": "1.2.3.4"}))
    assert values["mt_event_type"] == "install"
    # A system name stays the system's even when it has no value.
    assert "mt_ip" not in values


def test_subids_win_over_click_parameters() -> None:
    values = macro_values(facts(subids={"network": "sub"}, click_params={"mt_network": "click"}))
    assert values["mt_network"] == "sub"
    assert "mt_network" not in macro_values(facts(click_params={"mt_network": "click"}))


def test_partner_and_event_parameters_win_over_click_parameters() -> None:
    values = macro_values(
        facts(
            partner_params={"account": "partner"},
            event_params={"level": "event"},
            click_params={"mtpp_account": "click", "mtep_level": "click", "mtpp_other": "click"},
        )
    )
    assert values["mtpp_account"] == "partner"
    assert values["mtep_level"] == "event"
    assert "mtpp_other" not in values


def test_empty_values_and_unusable_names_are_no_macros() -> None:
    values = macro_values(
        facts(
            ip="",
            subids={"network": ""},
            click_params={"empty": "", "click-id": "x", "9lives": "x", "ok": "y"},
            partner_params={"bad name": "x"},
        )
    )
    assert "mt_ip" not in values
    assert "mt_network" not in values
    assert {k for k in values if not k.startswith("mt_")} == {"ok"}


# rendering


def test_values_are_percent_encoded_in_urls() -> None:
    values = {"v": "a b&c=d/é%?#+"}
    assert render("https://x.example/pb?v={v}", values) == (
        "https://x.example/pb?v=a%20b%26c%3Dd%2F%C3%A9%25%3F%23%2B"
    )


def test_json_encoding_escapes_quotes_backslashes_and_controls() -> None:
    values = {"v": 'say "hi" \\ bye\n\t', "u": "é✓"}
    body = '{"v": "{v}", "u": "{u}"}'
    rendered = render(body, values, encoding="json")
    assert rendered == '{"v": "say \\"hi\\" \\\\ bye\\n\\t", "u": "é✓"}'
    assert json.loads(rendered) == values


def test_no_encoding_inserts_values_as_they_are() -> None:
    assert render("{v}", {"v": 'a b&"c"'}, encoding="none") == 'a b&"c"'


def test_an_unknown_encoding_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown encoding"):
        render("{v}", {}, encoding="base64")  # type: ignore[arg-type]


def test_missing_and_unknown_macros_become_empty() -> None:
    values = macro_values(MINIMAL)
    assert render("a={mt_gaid}&b={foo}&c={mt_event_type}", values) == "a=&b=&c=install"


def test_braces_around_non_names_are_left_alone() -> None:
    body = '{"click": "{clickId}", "n": {"a": 1}, "e": {}, "s": "{ clickId }", "d": "{1x}"}'
    rendered = render(body, {"clickId": "c1"}, encoding="json")
    assert rendered == '{"click": "c1", "n": {"a": 1}, "e": {}, "s": "{ clickId }", "d": "{1x}"}'
    assert json.loads(rendered)["click"] == "c1"


def test_a_value_is_not_rendered_again() -> None:
    assert render("{a}", {"a": "{b}", "b": "x"}, encoding="none") == "{b}"


def test_macros_in_lists_names_once_in_order() -> None:
    template = '{mt_gaid}/{clickId}?a={mt_gaid}&b={ x }&c={1x}&d={"j": 1}&e={_y}{mt_ip}'
    assert macros_in(template) == ["mt_gaid", "clickId", "_y", "mt_ip"]
    assert macros_in("no macros {}") == []


macro_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)


@given(value=st.text())
def test_a_url_rendered_macro_is_only_unreserved_characters_and_escapes(value: str) -> None:
    rendered = render("{m}", {"m": value})
    assert ESCAPED.fullmatch(rendered)
    assert unquote(rendered) == value


@given(template=st.text(), values=st.dictionaries(macro_names, st.text()))
def test_url_rendering_adds_only_unreserved_characters_and_escapes(
    template: str, values: dict[str, str]
) -> None:
    rendered = render(template, values)
    assert set(rendered) <= set(template) | UNRESERVED | {"%"}


@given(value=st.text())
def test_a_json_rendered_value_reads_back_from_a_json_string(value: str) -> None:
    assert json.loads('"' + render("{m}", {"m": value}, encoding="json") + '"') == value


@given(template=st.text(), values=st.dictionaries(macro_names, st.text()))
def test_a_template_without_macros_renders_unchanged(template: str, values: dict[str, str]) -> None:
    if not macros_in(template):
        assert render(template, values) == template


# link templates shown to partners


BASE = "https://t.example/c/b1c2d3"


@pytest.mark.parametrize(
    ("url", "mapping", "shown"),
    [
        (BASE, {"mt_gaid": "{gaid}"}, f"{BASE}?mt_gaid={{gaid}}"),
        (
            BASE,
            {"mt_gaid": "{gaid}", "mt_idfa": "%%IDFA%%"},
            f"{BASE}?mt_gaid={{gaid}}&mt_idfa=%%IDFA%%",
        ),
        (f"{BASE}?", {"mt_idfa": "%%IDFA%%"}, f"{BASE}?mt_idfa=%%IDFA%%"),
        (
            f"{BASE}?a=1&mt_idfa={{idfa}}&b=%20&c",
            {"mt_idfa": "%%IDFA%%"},
            f"{BASE}?a=1&mt_idfa=%%IDFA%%&b=%20&c",
        ),
        (
            f"{BASE}?mt_idfa&a=1",
            {"mt_idfa": "[IDFA]", "mt_gaid": "[GAID]"},
            f"{BASE}?mt_idfa=[IDFA]&a=1&mt_gaid=[GAID]",
        ),
        (f"{BASE}?a=1#top", {"mt_gaid": "[GAID]"}, f"{BASE}?a=1&mt_gaid=[GAID]#top"),
        (f"{BASE}?a=1&b=2", {}, f"{BASE}?a=1&b=2"),
        (BASE, {}, BASE),
    ],
)
def test_rewrite_link_template(url: str, mapping: dict[str, str], shown: str) -> None:
    assert rewrite_link_template(url, mapping) == shown


def test_rewrite_link_template_replaces_a_repeated_parameter_everywhere() -> None:
    url = f"{BASE}?mt_gaid=1&x=2&mt_gaid=3"
    assert rewrite_link_template(url, {"mt_gaid": "G"}) == f"{BASE}?mt_gaid=G&x=2&mt_gaid=G"


# docs/macros.md


def _system_table() -> list[list[str]]:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## System macros", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows[2:]]
    return cells


def test_docs_list_exactly_the_system_macros_with_their_descriptions_and_examples() -> None:
    table = _system_table()
    assert [row[0] for row in table] == [f"`{name}`" for name in SYSTEM_MACROS]
    for name, description, example in table:
        bare = name.strip("`")
        assert description == SYSTEM_MACROS[bare], bare
        assert example == f"`{EXPECTED[bare]}`", bare


def test_docs_explain_subids_partner_event_and_click_parameters() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for name in SUBID_MACROS:
        assert f"`{name}`" in text, name
    for rule in ("`mtpp_<name>`", "`mtep_<name>`", "`{clickId}`", "percent-encoded", "JSON"):
        assert rule in text, rule


def test_docs_example_template_renders_as_shown() -> None:
    text = DOCS.read_text(encoding="utf-8")
    template = (
        "https://postback.example.com/install?click={clickId}"
        "&idfa={mt_idfa_upper_or_gaid_lower}&ts={mt_event_ts}&id={mt_postback_id}"
    )
    assert template in text
    ios = msgspec.structs.replace(FULL, platform="ios")
    assert render(template, macro_values(ios)) in text
