#!/usr/bin/env python3
"""lineup run carrying N tunnels, each with a responder and a sender session at
10 packets/s (count 100 every 10 s, 100 ms apart), all on loopback in one
process: the daemon sends, reflects, logs every sample to RocksDB, analyses
and decides. Prints its CPU share and memory over a steady window.

  bench/daemon_bench.py LINEUP [TUNNELS] [WINDOW_S]
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main():
    lineup = sys.argv[1]
    tunnels = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    window = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    work = tempfile.mkdtemp(prefix="lineup-daemon-bench-")
    lines = [f"daemon: {{log_dir: {work}/log, schedule: {{every: 10s}}}}", "tunnels:"]
    reflectors = ["reflectors:"]
    for i in range(tunnels):
        far = f"127.1.{i // 250}.{i % 250 + 1}"
        lines.append(f"  t{i}: {{site: edge, peer: hub, local: 127.0.0.1, remote: {far}, probes: [p]}}")
        reflectors.append(f'  - {{listen: "{far}:20862"}}')
    lines.append("sessions:\n  p: {count: 100, interval: 100ms, port: 20862, wait: 500ms}")
    config = os.path.join(work, "bench.yaml")
    with open(config, "w") as f:
        f.write("\n".join(lines + reflectors) + "\n")
    proc = subprocess.Popen([lineup, "run", "-c", config, "--api", "127.0.0.1:0", "-q", "--report", ""],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    api = None
    started = time.time()
    while api is None and time.time() - started < 60:
        line = proc.stdout.readline()
        m = re.search(r"API on http://(\S+)/api/", line)
        if m:
            api = m.group(1)
    if api is None:
        proc.kill()
        sys.exit("lineup run did not start")
    startup_s = time.time() - started
    time.sleep(15)  # every session started (spread over 5 s) and ran once
    cpu_a, t_a = cpu_seconds(proc.pid), time.time()
    time.sleep(window)
    cpu_b, t_b = cpu_seconds(proc.pid), time.time()
    rss = rss_mb(proc.pid)
    with urllib.request.urlopen(f"http://{api}/api/sessions") as r:
        sessions = json.load(r)
    sent = sum(s["last"]["sent"] for s in sessions if s["last"])
    received = sum(s["last"]["received"] for s in sessions if s["last"])
    runs = sum(s["runs"] for s in sessions)
    with urllib.request.urlopen(f"http://{api}/api/sla") as r:
        judged = sum(1 for v in json.load(r).get("voice", []) if v["judged"])
    proc.terminate()
    proc.wait(timeout=60)
    cpu = 100 * (cpu_b - cpu_a) / (t_b - t_a)
    print(f"tunnels={tunnels} sessions={len(sessions)} packets_per_s={10 * len(sessions)} startup_s={startup_s:.1f} "
          f"cpu_pct_of_core={cpu:.1f} rss_mb={rss:.1f} rss_per_tunnel_kb={1024 * rss / tunnels:.1f} "
          f"runs={runs} last_runs_sent={sent} last_runs_received={received} voice_judged={judged}")
    subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
