#!/usr/bin/env python3
"""Prints the ns-3 harness figures from `lineup sim --json` output on stdin.

  sim_figures.py speed                 one run: simulated time per wall second
  sim_figures.py switch SCENARIO       a --seeds run: time-to-switch distribution
  sim_figures.py library               a --seeds run: expectations met over the seeds
  sim_figures.py switches              one run: switches per class after the first placement
  sim_figures.py escapes SCENARIO      a --seeds run: each move's time to switch, and the
                                       time on a violated line (max_time_on_violated)
"""
import json
import sys


def speed(run):
    ratio = run["simulated_s"] / run["wall_s"]
    print(f"  simulated_s={run['simulated_s']:.0f} wall_s={run['wall_s']:.1f}"
          f" network_wall_s={run['network_wall_s']:.1f} probes={run['probes']}"
          f" events={run['events']} speed={ratio:.0f}x_real_time")


def switch(run, scenario):
    interval = float(run["probe_interval_s"])
    label = f"  {scenario:<22} every {interval * 1000:4.0f} ms:"
    times = sorted(t for e in run["expectations"] for t in e["time_to_switch_s"])
    misses = sum(e["failed"] for e in run["expectations"])
    if not times:
        print(f"{label} no switch; {misses} expectation misses")
        return
    mean = sum(times) / len(times)
    p50 = times[(len(times) - 1) // 2]
    print(f"{label} mean {mean:6.2f} s  p50 {p50:6.2f} s  worst {times[-1]:6.2f} s"
          f"  = {mean / interval:5.1f} intervals; {run['runs']} runs, {misses} expectation misses")


def escapes(run, scenario):
    print(f"  {scenario} over {run['runs']} seeds:")
    for e in run["expectations"]:
        times = sorted(e["time_to_switch_s"])
        if times:
            p50 = times[(len(times) - 1) // 2]
            print(f"    {e['expectation']}: time to switch mean {sum(times) / len(times):.2f} s,"
                  f" p50 {p50:.2f} s, worst {times[-1]:.2f} s; {e['failed']} misses")
        elif "down or out of SLA" in e["expectation"]:
            print(f"    {e['expectation']}: met in {e['passed']} of {run['runs']} seeds")


def library(run):
    met = sum(1 for e in run["expectations"] if e["failed"] == 0)
    total = len(run["expectations"])
    verdict = "PASS" if run["passed"] else "FAIL"
    print(f"  {verdict} {run['scenario']:<26} {met}/{total} expectations over {run['runs']} seeds"
          f" ({run['wall_s']:.1f} s)")
    for e in run["expectations"]:
        if e["failed"]:
            seeds = ", ".join(str(s) for s in e["failed_seeds"][:10])
            print(f"       missed {e['failed']}/{run['runs']}: {e['expectation']} (seeds {seeds})")


def switches(run):
    per_class = {}
    for d in run["decisions"]:
        if d.get("from"):
            per_class[d["traffic_class"]] = per_class.get(d["traffic_class"], 0) + 1
    days = run["simulated_s"] / 86400
    total = sum(per_class.values())
    shown = ", ".join(f"{c} {n}" for c, n in sorted(per_class.items())) or "none"
    print(f"  false_switches={total} per {days:g} simulated day(s) ({shown});"
          f" probes={run['probes']} wall_s={run['wall_s']:.1f}")


if __name__ == "__main__":
    text = sys.stdin.read()
    if not text.strip():
        print("  (no figures: the run failed, see its message above)")
        sys.exit(1)
    data = json.loads(text)
    if sys.argv[1] == "speed":
        speed(data)
    elif sys.argv[1] == "library":
        library(data)
    elif sys.argv[1] == "switches":
        switches(data)
    elif sys.argv[1] == "escapes":
        escapes(data, sys.argv[2])
    else:
        switch(data, sys.argv[2])
