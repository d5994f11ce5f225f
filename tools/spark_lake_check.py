#!/usr/bin/env python3
"""Helpers and the PySpark job of tools/spark-lake-test.

  spark_lake_check.py generate --out DIR [--devices 24] [--days 10] [--seed 7] [--now-ms MS]
      A fleet as long CSV (device,metric,ts_ms,value), already split into the two shards
      Strata's ShardMap gives (64-bit FNV-1a of the name's UTF-8 bytes, mod 2):
        DIR/shard-S/base.csv       the first load of shard S
        DIR/shard-S/late.csv       late points for round 2: new timestamps in an old day,
                                   and a few overwritten ones (last write wins)
        DIR/shard-S/newcomer.csv   a device that first reports in round 2 (only in its shard)
        DIR/plan.sh                shell variables for the deletions and the retention
        DIR/devices.json           {device: shard} for every device
      Plain Python (no pyspark needed).

  spark_lake_check.py shard NAME...
      Prints each NAME's shard (0 or 1), one a line.

  spark_lake_check.py check --case NAME LAKE EXPECT [--case ...] --devices devices.json
      The Spark job (run it with spark-submit --master spark://...): reads each LAKE with
      spark.read.parquet (Hive partition discovery), computes
        1. point counts: per series per UTC day (the `date` partition column) and in total
        2. per device, metric and hour: mean, max (and count)
        3. fleet-wide per metric and UTC day: p95 (Hyndman-Fan 7, linear interpolation)
      and compares them with Strata's answers in EXPECT (CSV files written by
      `strata downsample --format csv`: counts.csv, hourly.csv, p95.csv). Counts and maxima
      must be equal, means and p95 within 1e-9 relative. Also checks the lake's layout (one
      part file name per shard, distinct between shards; every row's UTC day equals its
      `date` directory; every file's device column equals its `device=` directory).
      Exit status 1 on any mismatch, after listing the first ones.
"""

import argparse
import csv
import json
import math
import os
import random
import re
import shlex
import sys
import time
import urllib.parse

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MINUTE_MS = 60_000
METRICS = ("temperature", "humidity", "vibration")
RELATIVE_TOLERANCE = 1e-9
SHARDS = 2


# --- Strata's names and shards, re-implemented ---------------------------------------------

def fnv1a64(data: bytes) -> int:
    """ShardMap.fnv1a: offset basis 0xcbf29ce484222325, prime 0x100000001b3, wrapping."""
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


# Published FNV-1a 64 test vectors: a slip in the constants would split the fleet differently.
assert fnv1a64(b"") == 0xCBF29CE484222325
assert fnv1a64(b"a") == 0xAF63DC4C8601EC8C
assert fnv1a64(b"foobar") == 0x85944171F73967E8


def shard_of(device: str, shards: int = SHARDS) -> int:
    """ShardMap(shardCount: shards).shard(of: device)."""
    return fnv1a64(device.encode("utf-8")) % shards


def escaped_device(name: str) -> str:
    """PartitionNaming.escaped: ASCII letters, digits, '-', '_' and '.' (not first) stay; every
    other byte of the UTF-8 form becomes %XX (uppercase hex)."""
    out = []
    for position, byte in enumerate(name.encode("utf-8")):
        safe = (48 <= byte <= 57) or (65 <= byte <= 90) or (97 <= byte <= 122) or byte in (0x2D, 0x5F) \
            or (byte == 0x2E and position > 0)
        out.append(chr(byte) if safe else "%%%02X" % byte)
    return "".join(out)


def device_directory(name: str) -> str:
    """PartitionNaming.deviceDirectory for names short enough to stay whole (all of ours)."""
    escaped = escaped_device(name)
    if len(("device=" + escaped).encode()) > 255:
        raise ValueError(f"device name {name!r} is too long for this test's naming check")
    return "device=" + escaped


# --- the fleet ---------------------------------------------------------------------------------

def device_names(count: int) -> list:
    # Two names that need escaping in a directory (a space, a slash, non-ASCII letters): they
    # check that Strata's %XX names and Spark's partition discovery agree on the device.
    names = ["pump-%04d" % index for index in range(count - 2)]
    return names + ["rack 3/pump-7", "pompe-été"]


def choose(names, shard, rng, exclude=()):
    pool = [name for name in names if shard_of(name) == shard and name not in exclude and name.isascii()]
    if not pool:
        raise SystemExit(f"generate: no ASCII device falls in shard {shard}; change --devices or --seed")
    return rng.choice(sorted(pool))


def readings(rng, device_index, start, end, offset_ms):
    """One device's 1-minute readings of every metric in [start, end): (ts, temperature,
    humidity, vibration). A daily cycle, sensor resolution, noise."""
    base_temperature = 18 + 8 * rng.random()
    swing = 2 + 4 * rng.random()
    base_humidity = 45 + 20 * rng.random()
    base_vibration = 0.03 + 0.02 * rng.random()
    gauss = rng.gauss
    sin = math.sin
    two_pi = 2 * math.pi
    first = start - start % MINUTE_MS + offset_ms
    if first < start:
        first += MINUTE_MS
    rows = []
    for ts in range(first, end, MINUTE_MS):
        cycle = sin(two_pi * ((ts % DAY_MS) / DAY_MS - 0.3))
        temperature = round(base_temperature + swing * cycle + gauss(0, 0.15), 2)
        humidity = round(base_humidity - 12 * cycle + gauss(0, 0.8), 1)
        vibration = round(max(0.0, base_vibration + 0.01 * cycle + gauss(0, 0.004)), 4)
        rows.append((ts, temperature, humidity, vibration))
    return rows


def write_long_csv(path, rows_by_device):
    """rows_by_device: [(device, [(ts, t, h, v), ...])]; metric by metric, as a series' rows."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("device,metric,ts_ms,value\n")
        count = 0
        for device, rows in rows_by_device:
            field = csv_field(device)
            for column, metric in enumerate(METRICS, start=1):
                prefix = f"{field},{metric},"
                out.write("".join(f"{prefix}{row[0]},{row[column]!r}\n" for row in rows))
                count += len(rows)
    return count


def csv_field(text):
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\r\n') else text


def generate(args):
    rng = random.Random(args.seed)
    now_ms = args.now_ms if args.now_ms is not None else int(time.time() * 1000)
    # Whole UTC days back from today's midnight, up to the last full minute before now: the
    # newest partition is today's, still growing, as it would be in production.
    start = (now_ms // DAY_MS - (args.days - 1)) * DAY_MS
    end = now_ms - now_ms % MINUTE_MS - MINUTE_MS
    names = device_names(args.devices)
    shards = {name: shard_of(name) for name in names}
    if len(set(shards.values())) < SHARDS:
        raise SystemExit("generate: every device falls in one shard; change --devices")

    base = {s: [] for s in range(SHARDS)}
    late = {s: [] for s in range(SHARDS)}
    offsets = {}
    for index, name in enumerate(names):
        device_rng = random.Random(args.seed * 1_000_003 + index)
        # Each device reads at its own second of the minute (and millisecond), as real clocks do.
        offsets[name] = (index * 7919) % MINUTE_MS
        rows = readings(device_rng, index, start, end, offsets[name])
        if index == 3:
            # An outage: three hours without readings on the fifth day.
            gap = (start + 4 * DAY_MS + 13 * HOUR_MS, start + 4 * DAY_MS + 16 * HOUR_MS)
            rows = [row for row in rows if not gap[0] <= row[0] < gap[1]]
        base[shards[name]].append((name, rows))

    # Round 2, late points: three devices (both shards) send two hours of day 3 that were
    # stuck in a queue: new timestamps, half a minute after their usual second.
    late_devices = [choose(names, 0, rng), choose(names, 1, rng)]
    late_devices.append(choose(names, rng.randrange(SHARDS), rng, exclude=late_devices))
    for name in late_devices:
        device_rng = random.Random(args.seed * 7 + names.index(name))
        window = (start + 3 * DAY_MS + 10 * HOUR_MS, start + 3 * DAY_MS + 12 * HOUR_MS)
        rows = readings(device_rng, 0, window[0], window[1], (offsets[name] + 30_000) % MINUTE_MS)
        late[shards[name]].append((name, rows))
    # ... and one device re-sends 25 readings of day 6 with corrected values (same timestamps:
    # the last write wins).
    corrected = choose(names, rng.randrange(SHARDS), rng, exclude=late_devices)
    originals = dict(base[shards[corrected]])[corrected]
    day6 = [row for row in originals if start + 6 * DAY_MS + 8 * HOUR_MS <= row[0]][:25]
    late[shards[corrected]].append((corrected, [(ts, round(t + 5.25, 2), round(h - 3.5, 1), round(v * 2, 4))
                                                for ts, t, h, v in day6]))

    # A device that joins in round 2, with history from day 4 into day 5 (new partitions).
    newcomer = "pump-newcomer"
    newcomer_rows = readings(random.Random(args.seed + 99), 0, start + 4 * DAY_MS + 18 * HOUR_MS,
                             start + 5 * DAY_MS + 6 * HOUR_MS, 1234)
    shards[newcomer] = shard_of(newcomer)

    counts = {}
    for s in range(SHARDS):
        directory = os.path.join(args.out, f"shard-{s}")
        os.makedirs(directory, exist_ok=True)
        counts[f"base{s}"] = write_long_csv(os.path.join(directory, "base.csv"), base[s])
        counts[f"late{s}"] = write_long_csv(os.path.join(directory, "late.csv"), late[s])
        counts[f"newcomer{s}"] = write_long_csv(os.path.join(directory, "newcomer.csv"),
                                                [(newcomer, newcomer_rows)] if shards[newcomer] == s else [])

    # The deletions: a whole device-day (day 5) on one shard, one metric over 3.5 hours of
    # day 6 on the other; the retention keeps points from the middle of day 2 on, so days 0
    # and 1 expire whole and day 2 in half.
    whole_day = choose(names, 0, rng, exclude=late_devices + [corrected])
    some_hours = choose(names, 1, rng, exclude=late_devices + [corrected, whole_day])
    plan = {
        "START_MS": start, "END_MS": end, "NOW_MS": now_ms, "DAYS": args.days,
        "DELETE_DAY_DEVICE": whole_day, "DELETE_DAY_SHARD": shards[whole_day],
        "DELETE_DAY_FROM": start + 5 * DAY_MS, "DELETE_DAY_TO": start + 6 * DAY_MS,
        "DELETE_HOURS_DEVICE": some_hours, "DELETE_HOURS_SHARD": shards[some_hours],
        "DELETE_HOURS_METRIC": "humidity",
        "DELETE_HOURS_FROM": start + 6 * DAY_MS + 6 * HOUR_MS,
        "DELETE_HOURS_TO": start + 6 * DAY_MS + 9 * HOUR_MS + 30 * MINUTE_MS,
        "RETENTION_CUTOFF_MS": start + 2 * DAY_MS + 12 * HOUR_MS,
        "LATE_DEVICES": " ".join(late_devices), "CORRECTED_DEVICE": corrected,
        "NEWCOMER_DEVICE": newcomer, "NEWCOMER_SHARD": shards[newcomer],
        "SHARD0_DEVICES": sum(1 for n in names if shards[n] == 0),
        "SHARD1_DEVICES": sum(1 for n in names if shards[n] == 1),
    }
    plan.update({key.upper() + "_ROWS": value for key, value in counts.items()})
    with open(os.path.join(args.out, "plan.sh"), "w") as out:
        for key, value in plan.items():
            out.write(f"{key}={shlex.quote(str(value))}\n")
    with open(os.path.join(args.out, "devices.json"), "w") as out:
        json.dump(shards, out, ensure_ascii=False, sort_keys=True)
    # The partitions round 2 changes (for the incremental check of a real `strata sync`): the
    # late, corrected, deleted and new device-days, and every day retention reaches.
    touched = {(name, 3) for name in late_devices} | {(corrected, 6), (whole_day, 5), (some_hours, 6)}
    touched |= {(newcomer, 4), (newcomer, 5)}
    touched |= {(name, day) for name in names for day in range(3)}
    with open(os.path.join(args.out, "touched.json"), "w") as out:
        json.dump(sorted(f"{device_directory(name)}/date={day_text(start + day * DAY_MS)}" for name, day in touched),
                  out, ensure_ascii=False, indent=0)


# --- Strata's answers --------------------------------------------------------------------------

def read_strata_csv(path, key_columns, value_columns):
    """{key tuple: {column: text}} from `strata downsample --format csv`."""
    result = {}
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            key = tuple(int(row[c]) if c == "ts_ms" else row[c] for c in key_columns)
            if key in result:
                raise SystemExit(f"{path}: the key {key} appears twice")
            result[key] = {c: row[c] for c in value_columns}
    return result


def number(text):
    return None if text == "" else float(text)


def relative_close(a, b):
    if a is None or b is None:
        return a is None and b is None
    if a == b:
        return True
    return abs(a - b) <= RELATIVE_TOLERANCE * max(abs(a), abs(b))


class Comparison:
    def __init__(self, case, figure):
        self.case, self.figure = case, figure
        self.rows = 0
        self.mismatches = []
        self.bit_equal = 0
        self.largest_relative = 0.0

    def mismatch(self, text):
        self.mismatches.append(text)

    def line(self):
        exact = f", {self.bit_equal:,} bit-identical" if self.bit_equal else ""
        if self.largest_relative:
            exact += f", largest relative difference {self.largest_relative:.2g}"
        return f"  {self.case:<6} {self.figure:<34} {self.rows:>7,} rows compared{exact}, {len(self.mismatches)} mismatch(es)"


def compare_keyed(comparison, strata, spark, checks):
    """strata: {key: {col: text}}, spark: {key: {col: value}}; checks: [(col, kind)], kind
    'exact-int', 'exact-float' or 'relative'."""
    for key in sorted(set(strata) | set(spark), key=repr):
        comparison.rows += 1
        if key not in spark:
            comparison.mismatch(f"{key}: in Strata's answer ({strata[key]}), not in Spark's")
            continue
        if key not in strata:
            comparison.mismatch(f"{key}: in Spark's answer ({spark[key]}), not in Strata's")
            continue
        identical = True
        for column, kind in checks:
            want_text, got = strata[key][column], spark[key][column]
            if kind == "exact-int":
                ok = want_text != "" and got is not None and int(want_text) == int(got)
            else:
                want = number(want_text)
                got = None if got is None else float(got)
                ok = (want == got or (want is not None and got is not None and math.isnan(want) and math.isnan(got))) \
                    if kind == "exact-float" else relative_close(want, got)
                if kind == "relative" and ok and want is not None and want != got:
                    comparison.largest_relative = max(comparison.largest_relative, abs(want - got) / max(abs(want), abs(got)))
                if want is None or got is None or want != got:
                    identical = False
            if not ok:
                difference = ""
                if kind == "relative" and want_text != "" and got is not None:
                    want = float(want_text)
                    difference = f" (relative difference {abs(want - got) / max(abs(want), abs(got)):.3g})"
                comparison.mismatch(f"{key} {column}: Strata {want_text or 'empty'}, Spark {got!r}{difference}")
        if identical and any(kind != "exact-int" for _, kind in checks):
            comparison.bit_equal += 1


def lake_files(lake):
    """Data files as Spark lists them: names starting with '_' or '.' are skipped at every level."""
    found = []
    for directory, subdirectories, files in os.walk(lake):
        subdirectories[:] = [d for d in subdirectories if not d.startswith(("_", "."))]
        for name in files:
            if not name.startswith(("_", ".")):
                found.append(os.path.relpath(os.path.join(directory, name), lake))
    return sorted(found)


def check_layout(case, lake, shards, comparison):
    """Every data file is device=NAME/date=YYYY-MM-DD/part-ID.parquet; the devices of one shard
    share one ID, the two shards' IDs differ. Returns {shard: part names} for the report."""
    pattern = re.compile(r"^(device=[^/]+)/date=(\d{4}-\d{2}-\d{2})/(part-[^/]+\.parquet)$")
    by_directory = {device_directory(name): name for name in shards}
    names_by_shard = {}
    for path in lake_files(lake):
        comparison.rows += 1
        match = pattern.match(path)
        if not match:
            comparison.mismatch(f"{path}: not device=NAME/date=YYYY-MM-DD/part-ID.parquet")
            continue
        device = by_directory.get(match.group(1))
        if device is None:
            comparison.mismatch(f"{path}: no device of the fleet is named {match.group(1)}")
            continue
        names_by_shard.setdefault(shards[device], set()).add(match.group(3))
    for shard, names in sorted(names_by_shard.items()):
        if len(names) != 1:
            comparison.mismatch(f"shard {shard} wrote files under {len(names)} names: {sorted(names)[:4]}")
    if len(names_by_shard) == SHARDS:
        all_names = [names for names in names_by_shard.values()]
        if set.intersection(*all_names):
            comparison.mismatch(f"both shards wrote {sorted(set.intersection(*all_names))}: their files would overwrite each other")
    return {shard: sorted(names) for shard, names in names_by_shard.items()}


# --- the Spark job -----------------------------------------------------------------------------

def check(args):
    timings = []
    clock = time.monotonic()

    def phase(name):
        nonlocal clock
        now = time.monotonic()
        timings.append((name, now - clock))
        clock = now

    from pyspark.sql import SparkSession, functions as F

    spark = (SparkSession.builder.appName("strata-spark-lake-test")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.shuffle.partitions", "4")
             .config("spark.ui.enabled", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("WARN")
    master = spark.sparkContext.master
    # Wait for the executors, so the first job's time is the job's.
    executors = 0
    for _ in range(300):
        executors = spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size() - 1
        if executors >= args.executors:
            break
        time.sleep(0.1)
    phase("start session, wait for executors")

    with open(args.devices, encoding="utf-8") as handle:
        shards = json.load(handle)

    comparisons = []
    summaries = []
    part_names = {}
    for case, lake, expect in args.case:
        lake = os.path.abspath(lake)
        layout = Comparison(case, "layout: files and part names")
        part_names[case] = check_layout(case, lake, shards, layout)
        comparisons.append(layout)

        points = spark.read.parquet(lake)
        columns = set(points.columns)
        for wanted in ("device", "metric", "ts", "value", "value_int", "date"):
            if wanted not in columns:
                raise SystemExit(f"{case}: the lake read as {points.schema.simpleString()}: no column {wanted}")
        # Spark takes `device` from the directory name (the partition value wins over the
        # file's own column) and undoes %XX escapes one byte to one character: a UTF-8 name
        # escaped byte by byte comes back as Latin-1 mojibake ("pompe-Ã©tÃ©"). Reading the
        # characters back as bytes and those as UTF-8 restores the name.
        points = (points.withColumn("device", F.decode(F.encode("device", "ISO-8859-1"), "UTF-8"))
                  .withColumn("ts_ms", F.unix_millis("ts"))
                  .withColumn("day_ms", F.unix_date("date").cast("long") * DAY_MS)
                  .select("device", "metric", "ts_ms", "day_ms", "value")
                  .cache())
        total = points.count()
        phase(f"{case}: read the lake ({total:,} rows)")

        # Layout, inside the files: each row's UTC day is its date= directory, and each file's
        # own device column (read without partition discovery) is its device= directory's name.
        misplaced = points.filter(F.col("ts_ms") - F.pmod("ts_ms", F.lit(DAY_MS)) != F.col("day_ms")).count()
        inside = Comparison(case, "layout: rows inside their partition")
        inside.rows = total
        if misplaced:
            inside.mismatch(f"{misplaced:,} rows lie outside their date= directory's UTC day")
        raw = (spark.read.option("recursiveFileLookup", "true").parquet(lake)
               .select(F.input_file_name().alias("file"), "device").distinct().collect())
        by_file = {}
        for row in raw:
            # input_file_name() is a URI: the directory's own %XX escapes come back as %25XX.
            path = urllib.parse.unquote(urllib.parse.urlparse(row["file"]).path)
            by_file.setdefault(os.path.relpath(path, lake), set()).add(row["device"])
        listed = set(lake_files(lake))
        for file in sorted(listed ^ set(by_file)):
            inside.rows += 1
            inside.mismatch(f"{file}: {'read by Spark, but not a data file of the layout' if file in by_file else 'a data file Spark read no rows from (empty, or passed over)'}")
        for file, devices in sorted(by_file.items()):
            inside.rows += 1
            directory = next((part for part in file.split("/") if part.startswith("device=")), None)
            if len(devices) != 1:
                inside.mismatch(f"{file}: {len(devices)} devices in one file")
            elif directory != device_directory(next(iter(devices))):
                inside.mismatch(f"{file}: holds device {next(iter(devices))!r}, whose directory is {device_directory(next(iter(devices)))}")
        comparisons.append(inside)
        phase(f"{case}: layout checks")

        # 1. Point counts per series per day, and in total.
        counts = {(row["device"], row["metric"], row["day_ms"]): {"count": row["count"]}
                  for row in points.groupBy("device", "metric", "day_ms").count().collect()}
        strata_counts = read_strata_csv(os.path.join(expect, "counts.csv"), ("device", "metric", "ts_ms"), ("count",))
        figure = Comparison(case, "points per series per day")
        compare_keyed(figure, strata_counts, counts, [("count", "exact-int")])
        comparisons.append(figure)
        strata_total = sum(int(row["count"]) for row in strata_counts.values())
        grand = Comparison(case, "total points")
        grand.rows = 1
        if strata_total != total:
            grand.mismatch(f"total: Strata {strata_total:,}, Spark {total:,}")
        comparisons.append(grand)
        phase(f"{case}: counts")

        # 2. Per device, metric and hour: mean, max, count.
        hour = F.col("ts_ms") - F.pmod("ts_ms", F.lit(HOUR_MS))
        hourly = {(row["device"], row["metric"], row["hour"]): {"mean": row["mean"], "max": row["max"], "count": row["count"]}
                  for row in points.groupBy("device", "metric", hour.alias("hour"))
                  .agg(F.avg("value").alias("mean"), F.max("value").alias("max"), F.count("value").alias("count")).collect()}
        figure = Comparison(case, "hourly mean, max, count per series")
        compare_keyed(figure, read_strata_csv(os.path.join(expect, "hourly.csv"), ("device", "metric", "ts_ms"), ("mean", "max", "count")),
                      hourly, [("count", "exact-int"), ("max", "exact-float"), ("mean", "relative")])
        comparisons.append(figure)
        phase(f"{case}: hourly mean and max")

        # 3. Fleet-wide p95 per metric and UTC day (the date partition). Spark's exact
        # `percentile` is Hyndman and Fan's definition 7, Strata's: rank h = (n - 1) * 0.95,
        # linear between the values at floor(h) and ceil(h).
        daily = {(row["metric"], row["day_ms"]): {"p95": row["p95"]}
                 for row in points.groupBy("metric", "day_ms").agg(F.percentile("value", 0.95).alias("p95")).collect()}
        strata_p95 = {(metric, ts): value for (_, metric, ts), value in
                      read_strata_csv(os.path.join(expect, "p95.csv"), ("device", "metric", "ts_ms"), ("p95",)).items()}
        figure = Comparison(case, "fleet-wide daily p95 per metric")
        compare_keyed(figure, strata_p95, daily, [("p95", "relative")])
        comparisons.append(figure)
        phase(f"{case}: daily p95")

        devices = points.select("device").distinct().count()
        days = sorted({key[1] for key in daily})
        summaries.append((case, total, devices, len(counts), len(hourly), days, daily))
        points.unpersist()

    spark.stop()
    phase("stop session")
    return report(args, master, executors, comparisons, summaries, part_names, timings)


def day_text(ms):
    return time.strftime("%Y-%m-%d", time.gmtime(ms // 1000))


def report(args, master, executors, comparisons, summaries, part_names, timings):
    print(f"spark-lake-check: Spark at {master} with {executors} executor(s)")
    for case, total, devices, series_days, hours, days, daily in summaries:
        print(f"  {case}: {total:,} points, {devices} devices, {series_days:,} series-days, {hours:,} series-hours, "
              f"days {day_text(days[0])} .. {day_text(days[-1])} ({len(days)}); part files "
              + ", ".join(f"shard {s}: {' '.join(n)}" for s, n in sorted(part_names[case].items())))
        for metric in METRICS:
            values = [daily[(metric, day)]["p95"] for day in days if (metric, day) in daily]
            if values:
                print(f"    {metric:<12} daily p95 from {min(values):.6g} to {max(values):.6g}")
    print("comparisons (Strata's answers against Spark's):")
    failed = 0
    for comparison in comparisons:
        print(comparison.line())
        failed += bool(comparison.mismatches)
        for text in comparison.mismatches[:args.show]:
            print(f"      MISMATCH {text}")
        if len(comparison.mismatches) > args.show:
            print(f"      ... and {len(comparison.mismatches) - args.show} more")
    print("Spark job phases:")
    for name, seconds in timings:
        print(f"  {seconds:7.2f} s  {name}")
    total_rows = sum(c.rows for c in comparisons)
    total_mismatches = sum(len(c.mismatches) for c in comparisons)
    print(f"spark-lake-check: {total_rows:,} rows compared, {total_mismatches} mismatch(es): {'FAIL' if failed else 'OK'}")
    return 1 if failed else 0


# --- small helpers for the shell script --------------------------------------------------------

def cluster_status(args):
    """The standalone master's state and its alive workers, from its web UI's JSON."""
    import urllib.request
    try:
        with urllib.request.urlopen(args.url, timeout=2) as response:
            state = json.load(response)
    except Exception:
        print("DOWN 0")
        return
    alive = sum(1 for worker in state.get("workers", []) if worker.get("state") == "ALIVE")
    print(f"{state.get('status', 'UNKNOWN')} {alive}")


def free_ports(args):
    """Ports free on 127.0.0.1 now (all bound at once, so they differ)."""
    import socket
    sockets = []
    for _ in range(args.count):
        handle = socket.socket()
        handle.bind(("127.0.0.1", 0))
        sockets.append(handle)
    print(" ".join(str(handle.getsockname()[1]) for handle in sockets))
    for handle in sockets:
        handle.close()


def snapshot(args):
    """Every data file of a lake with its inode, modification time and size, as JSON."""
    files = {}
    for path in lake_files(args.lake):
        stat = os.stat(os.path.join(args.lake, path))
        files[path] = [stat.st_ino, stat.st_mtime_ns, stat.st_size]
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(files, out, ensure_ascii=False)


def incremental(args):
    """Which partitions the second sync rewrote, added and removed, against the ones round 2
    touched. Exit 1 with --strict when an untouched partition was rewritten or removed."""
    with open(args.before, encoding="utf-8") as handle:
        before = json.load(handle)
    with open(args.after, encoding="utf-8") as handle:
        after = json.load(handle)
    with open(args.touched, encoding="utf-8") as handle:
        touched = set(json.load(handle))

    def partition(path):
        return path.rsplit("/", 1)[0]

    kept = [p for p in before if p in after and before[p] == after[p]]
    rewritten = [p for p in before if p in after and before[p] != after[p]]
    removed = [p for p in before if p not in after]
    added = [p for p in after if p not in before]
    untouched_changed = sorted(p for p in rewritten + removed if partition(p) not in touched)
    touched_kept = sorted(p for p in kept if partition(p) in touched)
    print(f"  second sync: {len(kept)} file(s) kept, {len(rewritten)} rewritten, {len(removed)} removed, {len(added)} added; "
          f"{len(untouched_changed)} untouched partition(s) rewritten or removed, {len(touched_kept)} changed one(s) left as they were")
    for path in (untouched_changed + touched_kept)[:args.show]:
        what = ("untouched, removed" if path in removed else "untouched, rewritten") if path in untouched_changed else "changed, not rewritten"
        print(f"    {what}: {path}")
    if args.strict and (untouched_changed or touched_kept):
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("generate")
    command.add_argument("--out", required=True)
    command.add_argument("--devices", type=int, default=24)
    command.add_argument("--days", type=int, default=10)
    command.add_argument("--seed", type=int, default=7)
    command.add_argument("--now-ms", type=int)
    command = commands.add_parser("shard")
    command.add_argument("names", nargs="+")
    command = commands.add_parser("check")
    command.add_argument("--case", nargs=3, action="append", required=True, metavar=("NAME", "LAKE", "EXPECT"))
    command.add_argument("--devices", required=True)
    command.add_argument("--executors", type=int, default=2, help="wait for this many executors before the first job")
    command.add_argument("--show", type=int, default=10, help="mismatches listed per comparison")
    command = commands.add_parser("cluster-status")
    command.add_argument("url")
    command = commands.add_parser("free-ports")
    command.add_argument("count", type=int)
    command = commands.add_parser("snapshot")
    command.add_argument("lake")
    command.add_argument("out")
    command = commands.add_parser("incremental")
    command.add_argument("before")
    command.add_argument("after")
    command.add_argument("--touched", required=True)
    command.add_argument("--strict", action="store_true")
    command.add_argument("--show", type=int, default=10)
    args = parser.parse_args()
    if args.command in ("cluster-status", "free-ports", "snapshot", "incremental"):
        globals()[args.command.replace("-", "_")](args)
    elif args.command == "generate":
        if args.devices < 4 or args.days < 8:
            parser.error("generate needs at least 4 devices and 8 days (the changes touch days 2 to 6)")
        generate(args)
    elif args.command == "shard":
        for name in args.names:
            print(shard_of(name))
    else:
        sys.exit(check(args))


if __name__ == "__main__":
    main()
