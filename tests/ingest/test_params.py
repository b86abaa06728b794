from decimal import Decimal

from tracker.ingest.params import MAX_QUERY_LENGTH, MAX_VALUE_LENGTH, parse_touch, split_query

IDFA = "6D92078A-8246-4BA4-AE5B-76104861E7DC"


def test_device_ids_are_normalised():
    t = parse_touch(
        f"mt_idfa={IDFA}&mt_gaid=38400000-8cf0-11bd-b23e-10b96e40000d"
        "&mt_android_id=9774D56D682E549C&mt_oaid=ABCDEF0123456789&mt_idfv="
        "6d92078a82464ba4ae5b76104861e7dc&mt_app_set_id=1d5e0b2c-1b2c-4a1b-8c1d-2e3f4a5b6c7d".encode()
    )
    assert t.device == {
        "idfa": IDFA.lower(),
        "gaid": "38400000-8cf0-11bd-b23e-10b96e40000d",
        "android_id": "9774d56d682e549c",
        "oaid": "abcdef0123456789",
        "idfv": "6d92078a-8246-4ba4-ae5b-76104861e7dc",
        "app_set_id": "1d5e0b2c-1b2c-4a1b-8c1d-2e3f4a5b6c7d",
    }
    assert t.malformed == {}


def test_malformed_device_id_is_left_out_and_named():
    t = parse_touch(b"mt_gaid=not-a-uuid&mt_idfa=%7Bidfa%7D&mt_android_id=xyz&clickId=7")
    assert t.device == {}
    assert t.malformed["mt_gaid"].startswith("not a UUID")
    assert t.malformed["mt_idfa"].startswith("not a UUID: '{idfa}'")
    assert "Android ID" in t.malformed["mt_android_id"]
    assert t.params == {"clickId": "7"}


def test_zeroed_advertising_id_is_not_a_device():
    t = parse_touch(b"mt_idfa=00000000-0000-0000-0000-000000000000")
    assert t.device == {}
    assert "all zeros" in t.malformed["mt_idfa"]


def test_empty_values_are_absent_not_malformed():
    t = parse_touch(b"mt_gaid=&mt_sub1=&mt_cost_value=")
    assert (t.device, t.subids, t.cost, t.malformed) == ({}, {}, None, {})


def test_subids():
    t = parse_touch(
        b"mt_network=fb&mt_campaign=c&mt_adset=a&mt_creative=cr&mt_medium=m"
        b"&mt_sub1=1&mt_sub2=2&mt_sub3=3&mt_sub4=4&mt_sub5=5"
    )
    assert t.subids == {
        "network": "fb",
        "campaign": "c",
        "adset": "a",
        "creative": "cr",
        "medium": "m",
        "sub1": "1",
        "sub2": "2",
        "sub3": "3",
        "sub4": "4",
        "sub5": "5",
    }
    assert t.params == {}


def test_utm_maps_onto_subids_only_when_the_mt_one_is_absent():
    t = parse_touch(
        b"utm_source=google&utm_medium=cpc&utm_campaign=spring&utm_term=shoes"
        b"&utm_content=banner&mt_campaign=explicit"
    )
    assert t.subids == {
        "network": "google",
        "medium": "cpc",
        "campaign": "explicit",
        "adset": "shoes",
        "creative": "banner",
    }
    # The utm tags themselves stay usable as macros.
    assert t.params["utm_source"] == "google"


def test_other_parameters_are_kept_by_name_with_percent_decoding():
    t = parse_touch(b"clickId=abc%20def&partner+param=a+b&mt_unknown=x&flag")
    assert t.params == {
        "clickId": "abc def",
        "partner param": "a b",
        "mt_unknown": "x",
        "flag": "",
    }


def test_control_parameters_are_not_kept():
    t = parse_touch(b"mt_no_redirect=1&mt_pixel=1&mt_ip=10.0.0.1&mt_ua=Agent")
    assert (t.no_redirect, t.pixel, t.ip, t.ua) == (True, True, "10.0.0.1", "Agent")
    assert t.params == {}


def test_bad_ip_override_is_malformed():
    t = parse_touch(b"mt_ip=999.1.1.1")
    assert t.ip is None
    assert "not an IP" in t.malformed["mt_ip"]


def test_link_cost():
    t = parse_touch(b"mt_cost_model=cpc&mt_cost_value=0.35&mt_cost_currency=eur&mt_cost_count=2")
    assert t.cost == {"model": "CPC", "value": Decimal("0.35"), "currency": "EUR", "count": 2}
    assert parse_touch(b"mt_cost_model=CPI&mt_cost_value=1").cost == {
        "model": "CPI",
        "value": Decimal("1"),
        "currency": "USD",
        "count": 1,
    }


def test_link_cost_validation():
    cases = {
        b"mt_cost_model=CPI&mt_cost_value=abc": ("mt_cost_value", "not a decimal"),
        b"mt_cost_model=CPI&mt_cost_value=-1": ("mt_cost_value", "negative"),
        b"mt_cost_model=CPI&mt_cost_value=NaN": ("mt_cost_value", "finite"),
        b"mt_cost_model=CPA&mt_cost_value=1": ("mt_cost_model", "one of"),
        b"mt_cost_model=CPI&mt_cost_value=1&mt_cost_currency=XXQ": ("mt_cost_currency", "ISO"),
        b"mt_cost_model=CPI&mt_cost_value=1&mt_cost_count=0": ("mt_cost_count", "positive"),
        b"mt_cost_model=CPI&mt_cost_value=1&mt_cost_count=1.5": ("mt_cost_count", "positive"),
        b"mt_cost_value=1": ("mt_cost_model", "required"),
        b"mt_cost_model=CPM": ("mt_cost_value", "required"),
    }
    for query, (field, reason) in cases.items():
        t = parse_touch(query)
        assert t.cost is None, query
        assert reason in t.malformed[field], (query, t.malformed)


def test_invalid_utf8_escape_is_malformed_and_others_survive():
    t = parse_touch(b"clickId=%FF%FE&mt_sub1=ok&%C3%28=1")
    assert t.malformed["clickId"] == "invalid UTF-8 (a raw byte or a percent-escape)"
    assert "\ufffd(" in t.malformed
    assert t.subids == {"sub1": "ok"}
    assert "clickId" not in t.params


def test_a_nul_character_is_malformed_and_others_survive():
    t = parse_touch(b"mt_sub1=a%00b&mt_sub2=ok&x%00=1&clickId=%00")
    assert "NUL" in t.malformed["mt_sub1"] and "NUL" in t.malformed["clickId"]
    assert "NUL" in t.malformed["x\ufffd"]
    assert t.subids == {"sub2": "ok"}
    assert "clickId" not in t.params


def test_over_long_values_and_queries():
    long_value = "x" * (MAX_VALUE_LENGTH + 1)
    t = parse_touch(f"clickId={long_value}&mt_sub1=ok".encode())
    assert "longer than" in t.malformed["clickId"]
    assert t.subids == {"sub1": "ok"}
    query = b"mt_sub1=first&" + b"&".join(b"p%d=%s" % (i, b"v" * 100) for i in range(200))
    assert len(query) > MAX_QUERY_LENGTH
    t = parse_touch(query)
    assert "longer than" in t.malformed["query"]
    assert t.subids == {"sub1": "first"}
    assert "more than" in t.malformed["params"]


def test_repeated_parameter_keeps_the_first():
    t = parse_touch(b"mt_sub1=a&mt_sub1=b")
    assert t.subids == {"sub1": "a"}
    assert "repeated" in t.malformed["mt_sub1"]


def test_split_query_handles_empty_pieces():
    assert split_query(b"&&a=1&&") == ([("a", "1")], {})
    assert split_query(b"") == ([], {})
