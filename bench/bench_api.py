"""API throughput: requests/s and p99 latency with wrk on loopback, 1 and 2 uvicorn workers.

Endpoints: a read (`GET /api/v1/sites` as a tenant: its dozen sites) and a plan
(`POST /api/v1/plans`: one site's bandwidth halved, a full plan each time — validate, diff, admission,
price, device diff — saved to the database). Targets: reads ≥ 2,000 req/s, plans ≥ 300 req/s.
Competitor: a bare FastAPI endpoint returning a constant under the same uvicorn settings — the
framework's ceiling on this machine; `*_vs_bare` is our share of it.

The server runs as `make run` runs it (SQLite in WAL mode, the sample network and demo tenants),
with webhooks off and the per-token rate limit raised out of the way (one token at wrk's pace would be
throttled by design; the limiter still runs on every request). wrk and the server share the machine.
Prints one JSON object as its last line; when wrk is absent, a JSON object saying so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

DURATION_S = int(os.environ.get("BENCH_DURATION_S", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
TENANT = "acme-logistics"
ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

BARE_APP = '''
from fastapi import FastAPI
app = FastAPI()
@app.get("/bare")
async def bare() -> dict:
    return {"status": "ok"}
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> str:
    return subprocess.run(cmd, env=env, cwd=cwd, check=True, capture_output=True, text=True).stdout


def start_server(target: list[str], workers: int, env: dict[str, str], cwd: Path, health: str) -> tuple[
        subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([str(VENV_BIN / "uvicorn"), *target, "--host", "127.0.0.1", "--port", str(port),
                             "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
                            env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + health, timeout=1).status_code < 500:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server did not start: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def wrk(url: str, token: str | None, script: Path | None = None) -> dict[str, float]:
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION_S}s", "--latency", "--timeout", "10s"]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    requests = re.search(r"(\d+) requests in", out)
    return {"rps": round(rps, 1), "p99_ms": round(p99_ms, 2), "requests": int(requests.group(1)) if requests else 0,
            "errors": int(non_2xx.group(1)) if non_2xx else 0}


def main() -> None:
    if shutil.which("wrk") is None:
        print(json.dumps({"skipped": "wrk is not installed (Debian: apt-get install -y wrk)"}))
        return
    work = Path(tempfile.mkdtemp(prefix="bench-api-"))
    env = {**os.environ, "UNILINK_DATABASE_URL": f"sqlite:///{work / 'var' / 'unilink.db'}",
           "UNILINK_RATE_LIMIT": "1000000/1000000", "UNILINK_WEBHOOKS": "off", "PYTHONPATH": str(work)}
    unilink = str(VENV_BIN / "unilink")
    run([unilink, "seed"], env, work)
    token = json.loads(run([unilink, "token", "create", "--role", "tenant-admin", "--tenant", TENANT, "--json"],
                           env, work))["token"]
    (work / "bare_app.py").write_text(BARE_APP)
    figures: dict[str, object] = {"machine": {"cpus": os.cpu_count(), "load_avg_1m_before": os.getloadavg()[0]},
                                  "duration_s": DURATION_S, "connections": CONNECTIONS}
    for workers in (1, 2):
        proc, base = start_server(["--factory", "unilink.api.app:create_app"], workers, env, work, "/api/v1/health")
        try:
            headers = {"Authorization": f"Bearer {token}"}
            document = httpx.get(f"{base}/api/v1/intent", headers=headers, timeout=30).json()
            internet = next(s for s in document["services"] if s["kind"] == "internet")
            internet["rate"] = internet["rate"] // 2
            check = httpx.post(f"{base}/api/v1/plans", headers=headers, json=document, timeout=30)
            assert check.status_code == 201 and not check.json()["empty"], check.text
            script = work / "plan.lua"
            script.write_text('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                              f"wrk.body = {json.dumps(json.dumps(document))}\n")
            figures[f"read_sites_{workers}w"] = wrk(f"{base}/api/v1/sites", token)
            figures[f"plan_{workers}w"] = wrk(f"{base}/api/v1/plans", token, script)
        finally:
            stop(proc)
        proc, base = start_server(["bare_app:app"], workers, env, work, "/bare")
        try:
            figures[f"bare_fastapi_{workers}w"] = wrk(f"{base}/bare", None)
        finally:
            stop(proc)
        bare = figures[f"bare_fastapi_{workers}w"]["rps"]  # type: ignore[index]
        figures[f"read_vs_bare_{workers}w"] = round(figures[f"read_sites_{workers}w"]["rps"] / bare, 3)  # type: ignore[index]
        figures[f"plan_vs_bare_{workers}w"] = round(figures[f"plan_{workers}w"]["rps"] / bare, 3)  # type: ignore[index]
    best_read = max(figures[f"read_sites_{w}w"]["rps"] for w in (1, 2))  # type: ignore[index]
    best_plan = max(figures[f"plan_{w}w"]["rps"] for w in (1, 2))  # type: ignore[index]
    figures["targets"] = {"read_rps": 2000, "read_met": best_read >= 2000, "plan_rps": 300,
                          "plan_met": best_plan >= 300}
    figures["machine"]["load_avg_1m_after"] = os.getloadavg()[0]  # type: ignore[index]
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
