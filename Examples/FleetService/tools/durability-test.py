#!/usr/bin/env python3
"""Durability under SIGKILL: every write the service acknowledged (204) survives a crash.

Several client threads POST distinct batches of line protocol; each batch that gets 204
is appended to a log of acknowledged batches (JSON lines, fsynced by this script). After
a few seconds the server is killed with SIGKILL in the middle of the load, restarted on the
same store, and every acknowledged point is read back with GET /query and compared bit for
bit. Batches that were in flight when the server died may or may not be stored; only the
acknowledged ones are checked. Repeated --kills times; the store and the log of
acknowledged batches carry over, so each check covers every round so far.

At the end the server is stopped with SIGTERM (a clean close writes the head into a
segment) and, with --strata-cli, every acknowledged point is checked once more by opening
the store read-only with the `strata` CLI (`strata query STORE --format csv`): the segment
path, read by another program. A last self-check adds a point that was never written and a
changed value to the expected set, and requires the checker to report both.

    tools/durability-test.py --binary .build/release/FleetService [--strata-cli .build/release/strata]
                             [--kills 5] [--threads 6] [--seconds 3]

Standard library only. Exits 1 if any acknowledged point is missing or differs.
"""

import argparse
import http.client
import json
import os
import random
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

POINTS_PER_FIELD = 100  # timestamps per batch; each has two fields, a float and an integer


def float_from_bits(rng):
    """A random finite double from random bits: subnormals, -0.0 and huge exponents included."""
    while True:
        value = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if value == value and value not in (float("inf"), float("-inf")):
            return value


def bits(value):
    return struct.pack("<d", value)


class Server:
    def __init__(self, binary, store, port, log_path):
        self.binary, self.store, self.port, self.log_path = binary, store, port, log_path
        self.process = None

    def start(self):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([self.binary, "--store", self.store, "--port", str(self.port)],
                                        stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"the server exited with {self.process.returncode}; see {self.log_path}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/health")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.05)
        sys.exit("the server did not answer /health within 60 s")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


class Writer(threading.Thread):
    """Posts distinct batches for one device until stopped; records the acknowledged ones."""

    def __init__(self, port, device, seed, acknowledged, lock, stop):
        super().__init__(daemon=True)
        self.port, self.device, self.acknowledged, self.lock, self.stop = port, device, acknowledged, lock, stop
        self.rng = random.Random(seed)
        self.sent = self.acked = 0

    def run(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        next_time = 1_700_000_000_000
        while not self.stop.is_set():
            times = list(range(next_time, next_time + POINTS_PER_FIELD))
            next_time += POINTS_PER_FIELD
            floats = [float_from_bits(self.rng) for _ in times]
            integers = [self.rng.randint(-2**63, 2**63 - 1) for _ in times]
            body = "".join(f"probe,host={self.device} x={repr(f)},n={i}i {t}\n"
                           for t, f, i in zip(times, floats, integers))
            self.sent += 1
            try:
                connection.request("POST", "/write?precision=ms", body=body.encode())
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                return  # the server died: this batch is unacknowledged, so unchecked
            if response.status != 204:
                sys.stderr.write(f"unexpected {response.status} for {self.device}\n")
                return
            self.acked += 1
            record = json.dumps({"device": self.device, "times": times,
                                 "floats": [repr(f) for f in floats], "integers": integers})
            with self.lock:
                self.acknowledged.write(record + "\n")
                self.acknowledged.flush()
                os.fsync(self.acknowledged.fileno())


def query(port, device, metric):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", f"/query?device={device}&metric={metric}")
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        sys.exit(f"/query answered {response.status}: {body[:200]!r}")
    return {timestamp: value for timestamp, value in json.loads(body)["points"]}


def strata_query(cli, store, device, metric):
    """The series as the `strata` CLI reads it from the closed store (CSV: device,metric,ts_ms,value)."""
    output = subprocess.run([cli, "query", store, "--device", device, "--metric", metric, "--format", "csv"],
                            check=True, capture_output=True, text=True).stdout
    points = {}
    for line in output.splitlines()[1:]:
        timestamp, value = line.rsplit(",", 2)[-2:]
        points[int(timestamp)] = float(value) if metric == "probe.x" else int(value)
    return points


def check(read_series, acknowledged_path, extra=()):
    """Reads every acknowledged point back with read_series(device, metric) -> {ts: value};
    returns (checked, lost or different)."""
    expected = {}
    with open(acknowledged_path) as file:
        for line in list(file) + list(extra):
            batch = json.loads(line)
            series = expected.setdefault(batch["device"], ({}, {}))
            for t, f, i in zip(batch["times"], batch["floats"], batch["integers"]):
                series[0][t] = float(f)
                series[1][t] = i
    checked = lost = 0
    for device, (floats, integers) in expected.items():
        stored_floats = read_series(device, "probe.x")
        stored_integers = read_series(device, "probe.n")
        for t, value in floats.items():
            checked += 1
            stored = stored_floats.get(t)
            if stored is None or isinstance(stored, str) or bits(float(stored)) != bits(value):
                lost += 1
                if lost <= 5:
                    print(f"  {device} probe.x @{t}: expected {value!r}, found {stored!r}")
        for t, value in integers.items():
            checked += 1
            if stored_integers.get(t) != value:
                lost += 1
                if lost <= 5:
                    print(f"  {device} probe.n @{t}: expected {value}, found {stored_integers.get(t)!r}")
    return checked, lost


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True, help="the FleetService executable")
    parser.add_argument("--store", help="the store directory (default: a new temporary one)")
    parser.add_argument("--port", type=int, default=18081)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--threads", type=int, default=6, help="client threads, one device each per round")
    parser.add_argument("--seconds", type=float, default=3.0, help="the least load before each kill")
    parser.add_argument("--strata-cli", help="the strata executable, to check the closed store once more")
    arguments = parser.parse_args()

    work = tempfile.mkdtemp(prefix="fleet-durability.")
    store = arguments.store or os.path.join(work, "store")
    acknowledged_path = os.path.join(work, "acknowledged.jsonl")
    server = Server(os.path.abspath(arguments.binary), store, arguments.port, os.path.join(work, "server.log"))
    print(f"store {store}; acknowledged batches in {acknowledged_path}; server log {server.log_path}")

    acknowledged = open(acknowledged_path, "a")
    lock = threading.Lock()
    rng = random.Random(20261128)
    rounds_with_losses = 0
    server.start()
    for round_number in range(1, arguments.kills + 1):
        stop = threading.Event()
        writers = [Writer(arguments.port, f"probe-{round_number}-{index}", rng.getrandbits(64), acknowledged, lock, stop)
                   for index in range(arguments.threads)]
        for writer in writers:
            writer.start()
        # Kill at a random moment, so the kill lands at different points of the write path.
        time.sleep(arguments.seconds + rng.random())
        server.kill()
        stop.set()
        for writer in writers:
            writer.join()
        sent = sum(writer.sent for writer in writers)
        acked = sum(writer.acked for writer in writers)

        server.start()  # reopening replays the write-ahead log
        checked, lost = check(lambda device, metric: query(arguments.port, device, metric), acknowledged_path)
        rounds_with_losses += 1 if lost else 0
        print(f"kill {round_number}: batches sent {sent}, acknowledged {acked} "
              f"({acked * 2 * POINTS_PER_FIELD} points); after restart: points checked {checked} (all rounds so far), "
              f"lost or different {lost}")
    # The checker must be able to fail: a point never written and a changed value.
    print("self-check, with planted differences:")
    with open(acknowledged_path) as file:
        changed = json.loads(file.readline())
    changed["integers"][0] ^= 1
    never_written = {"device": "probe-1-0", "times": [42], "floats": ["1.5"], "integers": [7]}
    _, reported = check(lambda device, metric: query(arguments.port, device, metric), acknowledged_path,
                        extra=[json.dumps(changed), json.dumps(never_written)])
    if reported != 3:
        sys.exit(f"self-check failed: the checker reported {reported} of 3 planted differences")
    print("self-check passed: 3 planted differences (a changed value, a point never written with 2 fields) reported")
    server.stop()

    if arguments.strata_cli:
        cli_checked, cli_lost = check(lambda device, metric: strata_query(arguments.strata_cli, store, device, metric),
                                      acknowledged_path)
        rounds_with_losses += 1 if cli_lost else 0
        print(f"after SIGTERM, read by `strata query`: points checked {cli_checked}, lost or different {cli_lost}")
    print(f"total after {arguments.kills} kills: points acknowledged {checked}, checked {checked}, lost {lost}"
          f"{'' if not rounds_with_losses else f' (losses seen after {rounds_with_losses} kills)'}")
    sys.exit(1 if rounds_with_losses else 0)


if __name__ == "__main__":
    main()
