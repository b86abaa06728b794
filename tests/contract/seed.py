"""Creates one of each resource on a running tracker and prints their ids as shell ``export``
lines, for schemathesis's fixed path parameters (schemathesis.toml)."""

from __future__ import annotations

import sys

import httpx

PLAY = "https://play.google.com/store/apps/details?id=com.example.game"


def main(base: str, token: str) -> None:
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10)

    def post(path: str, body: dict) -> dict:
        r = api.post(path, json=body)
        if r.status_code >= 300:
            raise SystemExit(f"seeding {path}: {r.status_code} {r.text}")
        return r.json()

    app = post("/api/v1/apps", {"title": "Game", "platform": "android", "store_url": PLAY})
    partner = post("/api/v1/partners", {"title": "Net", "utm_sources": ["net"]})
    campaign = post(
        "/api/v1/campaigns",
        {"title": "Launch", "traffic_type": "media", "partner_id": partner["id"]},
    )
    cid = campaign["id"]
    link = post(
        f"/api/v1/campaigns/{cid}/links", {"title": "L", "app_id": app["id"], "target_url": PLAY}
    )
    # PATCH tariffs changes only ends_on: from the earliest day the server takes, every day
    # schemathesis can send is a valid end. In a campaign of its own it overlaps no tariff,
    # and leaves the tariffs POSTed to the other campaign free of it.
    tariffed = post("/api/v1/campaigns", {"title": "Tariff", "traffic_type": "media"})
    tariff = post(
        f"/api/v1/campaigns/{tariffed['id']}/tariffs",
        {"model": "cpc", "rate": "0.10", "currency": "USD", "starts_on": "1970-01-01"},
    )
    correction = post(
        f"/api/v1/campaigns/{cid}/corrections",
        {
            "app_id": app["id"],
            "amount": "5.00",
            "currency": "USD",
            "starts_on": "2026-01-01",
            "ends_on": "2026-01-02",
        },
    )
    postback = post(
        "/api/v1/postbacks",
        {"title": "Installs", "event": "install", "url": "https://example.com/pb?c={clickId}"},
    )
    viewer = post("/api/v1/tokens", {"role": "viewer", "label": "revoked by schemathesis"})
    post("/api/v1/traffic-types", {"name": "affiliates"})
    installed = httpx.post(
        f"{base}/sdk/v1/events",
        headers={"X-SDK-Key": app["sdk_key"]},
        json={"events": [{"event_id": "e1", "type": "install", "device": {"instance_id": "i1"}}]},
        timeout=10,
    )
    installed.raise_for_status()
    install_id = installed.json()["results"][0]["install_id"]
    values = {
        "ST_APP_ID": app["id"],
        "ST_SDK_KEY": app["sdk_key"],
        "ST_PARTNER_ID": partner["id"],
        "ST_CAMPAIGN_ID": cid,
        "ST_LINK_CODE": link["code"],
        "ST_TARIFF_CAMPAIGN_ID": tariffed["id"],
        "ST_TARIFF_ID": tariff["id"],
        "ST_CORRECTION_ID": correction["id"],
        "ST_POSTBACK_ID": postback["id"],
        "ST_TOKEN_ID": viewer["id"],
        "ST_INSTALL_ID": install_id,
    }
    for name, value in values.items():
        print(f"export {name}={value}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
