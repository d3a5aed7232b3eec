#!/usr/bin/env python3
"""Regenerates examples/access.log.gz, the quickstart's sample Nginx log.

Ten days of a small SaaS app (one request every ~10 s) in the quickstart's
log_format: mostly fast 2xx, a trickle of 404s and 5xx, health checks and
Prometheus scrapes (excluded by the quickstart config), and one incident:
20 minutes of 502s and slow responses on 2026-11-15 after a deploy.
Deterministic (seeded); only needed to change the sample, not to build or test.
"""
import datetime as dt
import gzip
import random

rng = random.Random(42)
start = dt.datetime(2026, 11, 10, 0, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
end = start + dt.timedelta(days=10)
incident = (dt.datetime(2026, 11, 15, 14, 5, tzinfo=dt.timezone.utc), dt.datetime(2026, 11, 15, 14, 25, tzinfo=dt.timezone.utc))
routes = [
    ("GET", "/", 10), ("GET", "/api/deals/{id}", 20), ("GET", "/api/deals", 12), ("POST", "/api/deals", 4),
    ("GET", "/api/users/{id}", 10), ("PUT", "/api/users/{id}", 2), ("GET", "/api/search", 6),
    ("GET", "/static/app.{hex}.js", 8), ("POST", "/login", 3), ("GET", "/health", 6), ("GET", "/metrics", 2),
]
weights = [w for _, _, w in routes]
agents = ["Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"]
lines = []
t = start
while t < end:
    t += dt.timedelta(seconds=rng.expovariate(1 / 10))
    method, path, _ = rng.choices(routes, weights)[0]
    path = path.replace("{id}", str(rng.randint(1, 50000))).replace("{hex}", "%08x" % rng.getrandbits(32))
    ua = rng.choice(agents)
    if path == "/health":
        ua = "kube-probe/1.30"
    elif path == "/metrics":
        ua = "Prometheus/2.42.0"
    status, rt = 200, rng.lognormvariate(-3.5, 0.8)
    if method == "POST" and path == "/api/deals":
        status = 201
    x = rng.random()
    if x < 0.0003:
        status = rng.choice([500, 502, 504])
    elif x < 0.01:
        status = 404
    elif x < 0.012:
        status = 429
    if incident[0] <= t < incident[1] and path.startswith("/api/"):
        if rng.random() < 0.25:
            status, rt = 502, rng.uniform(0.5, 3)
        else:
            rt *= 6
    upstream = "%.3f" % (rt * 0.95) if not path.startswith("/static/") else "-"
    lines.append('%d.%d.%d.%d - - [%s] "%s %s HTTP/1.1" %d %d "-" "%s" %.3f %s\n' % (
        rng.randint(1, 223), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254),
        t.strftime("%d/%b/%Y:%H:%M:%S %z"), method, path, status, rng.randint(200, 20000), ua, rt, upstream))
with gzip.GzipFile("examples/access.log.gz", "wb", mtime=0) as f:
    f.write("".join(lines).encode())
print(len(lines), "lines until", t)
