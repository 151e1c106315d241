"""Property-based requests from the OpenAPI document (schemathesis): whatever the
input, the API answers with a documented status and never a server error."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
pytest.importorskip("fastapi", reason="`likeness serve` needs it (pip install likeness[serve])")

from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402

from likeness.server import create_app  # noqa: E402
from likeness.store import StoreSettings  # noqa: E402

EXAMPLES = 25  # per operation: ~23 operations × 25 requests, about 10 s


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    # No workers: this is about the HTTP layer; uploads queue jobs that nobody runs.
    app = create_app(StoreSettings(home=tmp_path_factory.mktemp("fuzz"), workers=1, max_upload_bytes=2**20),
                     start_workers=False, allowed_hosts=None)
    with TestClient(app) as client:  # runs the lifespan: the store is open for the fuzzer's calls
        app.state.test_client = client
        yield app


def _operations(app):
    schema = schemathesis.openapi.from_dict(app.openapi())
    return schema, [r.ok() for r in schema.get_all_operations()]


def _send(client, case, headers):
    """Send a generated case through our TestClient (whose lifespan is running)."""
    kw = case.as_transport_kwargs(base_url="http://127.0.0.1")
    sent = {k: v for k, v in (kw.get("headers") or {}).items() if k.lower() not in ("authorization", "connection")}
    if headers:
        sent.update(headers)
    elif kw.get("headers", {}).get("Authorization"):
        sent["Authorization"] = kw["headers"]["Authorization"]  # the fuzzer's own (random) token
    body = {k: kw[k] for k in ("json", "data", "files", "content") if kw.get(k) is not None}
    return client.request(kw["method"], kw["url"], params=kw.get("params"), headers=sent, **body)


def test_fuzz_every_operation_without_server_errors(app):
    client = app.state.test_client

    def fresh():
        s = client.post("/api/sessions").json()
        t = client.post("/api/teams", json={"name": "Fuzz", "look": "corporate-grey"}).json()
        return {"session_id": s["id"], "team_id": t["id"], "token": s["token"], "team_token": t["admin_token"]}

    base = fresh()
    schema, ops = _operations(app)
    assert len(ops) >= 20
    seen: dict[str, set[int]] = {}

    for op in ops:
        label = f"{op.method.upper()} {op.path}"

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy(), use_real=schemathesis_bool())
        def run(case, use_real):
            headers = {}
            if use_real:
                real = dict(base)
                if label in ("DELETE /api/sessions/{session_id}", "DELETE /api/teams/{team_id}"):
                    real = fresh()  # deleting the shared session would void every later example
                for k in ("session_id", "team_id"):
                    v = real[k]
                    if k in (case.path_parameters or {}):
                        case.path_parameters[k] = v
                token = real["team_token"] if "team_id" in (case.path_parameters or {}) else real["token"]
                headers["Authorization"] = f"Bearer {token}"
            response = _send(client, case, headers)
            seen.setdefault(label, set()).add(response.status_code)
            assert response.status_code < 500, f"{label} → {response.status_code}: {response.text[:300]}"
            if response.status_code >= 400 and response.headers.get("content-type", "").startswith("application/json"):
                err = response.json()["error"]
                assert err["code"] and err["message"], (label, err)

        run()
    assert len(seen) == len(ops)
    # Real credentials must get past auth: otherwise the fuzzing proved little.
    for label in ("GET /api/sessions/{session_id}", "GET /api/teams/{team_id}", "DELETE /api/sessions/{session_id}"):
        assert any(c < 300 for c in seen[label]), (label, seen[label])
    assert 422 in seen["POST /api/sessions/{session_id}/photos"]  # random bytes reached the decoder


def schemathesis_bool():
    from hypothesis import strategies as st

    return st.booleans()
