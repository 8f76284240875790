"""``/healthz``: whether a hub and its database answer, for a load balancer.

The 503 side (the database away) is in test_database_outage.py, on a
PostgreSQL server of its own.
"""

from __future__ import annotations

import requests


def health_url(hub) -> str:
    return hub.url.removesuffix("/kojihub") + "/healthz"


def test_health_answers_200_without_a_session(hub):
    reply = requests.get(health_url(hub), timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.json() == {"status": "ok"}
    assert reply.headers["Koji-Version"]


def test_health_answers_head_and_refuses_other_methods(hub):
    head = requests.head(health_url(hub), timeout=10)
    assert head.status_code == 200
    assert head.content == b""
    post = requests.post(health_url(hub), data=b"x", timeout=10)
    assert post.status_code == 405
    assert "GET" in post.headers["Allow"]


def test_health_is_cheap_enough_to_poll(hub):
    # Every few seconds from each balancer: a keep-alive connection's round trips stay small.
    with requests.Session() as http:
        for _ in range(50):
            assert http.get(health_url(hub), timeout=10).status_code == 200
