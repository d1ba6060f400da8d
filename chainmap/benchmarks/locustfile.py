"""locust user of the pages benchmark, used only when wrk is missing: GET one path, over and over.

``chainmap.benchmarks.pages`` runs it headless with the path, the session cookie and the proxy
headers in the environment; anything but a 2xx is a failure (locust's default also passes 3xx).
"""

from __future__ import annotations

import json
import os

from locust import FastHttpUser, constant, task

PATH = os.environ.get("BENCH_PATH", "/")
HEADERS = {"Cookie": os.environ.get("BENCH_COOKIE", ""), **json.loads(os.environ.get("BENCH_HEADERS", "{}"))}


class PageUser(FastHttpUser):
    # No think time: like wrk, each user sends its next request as soon as the last one is answered.
    wait_time = constant(0)

    @task
    def get(self) -> None:
        with self.client.get(PATH, headers=HEADERS, catch_response=True, allow_redirects=False) as response:
            if not 200 <= response.status_code < 300:
                response.failure(f"status {response.status_code}")
