#!/usr/bin/env python3
"""Prints the ns-3 harness figures from `lineup sim --json` output on stdin.

  sim_figures.py speed                 one run: simulated time per wall second
  sim_figures.py switch SCENARIO       a --seeds run: time-to-switch distribution
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


if __name__ == "__main__":
    data = json.load(sys.stdin)
    if sys.argv[1] == "speed":
        speed(data)
    else:
        switch(data, sys.argv[2])
