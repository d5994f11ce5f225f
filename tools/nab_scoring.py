#!/usr/bin/env python3
"""NAB scoring for a list of alerts, as the Numenta Anomaly Benchmark scores detectors.

Follows Lavin & Ahmad, "Evaluating Real-time Anomaly Detection Algorithms - the
Numenta Anomaly Benchmark" (IEEE ICMLA 2015) and NAB's own code: nab/sweeper.py
(calcSweepScore, calcScoreByThreshold, scaledSigmoid, _getProbationaryLength)
for the per-file score and nab/runner.py (Runner.normalize) for the
normalisation. Written from those descriptions; no NAB code is copied.

Per file (here: per device), over the file's rows t[0..n-1] in file order
(duplicate timestamps kept, each is its own row):

- probation = min(floor(0.15 n), 0.15 * 5000): rows with index < probation are not
  scored; detections there are ignored.
- a labelled window [start, end] covers rows left..right, where left (right) is
  the first row stamped start (end); width = right - left + 1.
- a detection is a row index (a row alerts at most once).
- detection i inside a window: position = -(right - i + 1) / width,
  score = S(position) * tpWeight / S(-1); only the window's best (earliest)
  scored detection counts, so a detection at the window's first row earns
  exactly tpWeight.
- detection i outside every window: if no window ended before i, score =
  -fpWeight; otherwise position = |prevRight - i| / (prevWidth - 1) for the most
  recent window that ended before i, score = S(position) * fpWeight (negative
  once past the window's right edge, nearly 0 right after it). Every one counts.
- S(x) = -1 if x >= 3 else 2 / (1 + exp(5x)) - 1.
- a window counts if at least one of its rows is at index >= probation; a
  counted window with no scored detection costs -fnWeight.

Over all files: normalised = 100 * (raw - null) / (perfect - null), with
null = -fnWeight * counted windows (what alerting nowhere earns) and perfect =
what alerting exactly at each counted window's first scorable row earns.

How this differs from NAB (deliberately or unavoidably):

- NAB's Runner.normalize takes perfect = tpWeight * (number of windows in the
  whole label file), counting windows that lie entirely inside probation and
  giving tpWeight to a window that straddles the probation edge. We use the
  best score a detector can actually reach. On the 31 Strata NAB files no
  window starts before probation, so both give perfect = tpWeight * 63 and the
  figures are identical; they would differ only on other data.
- NAB's null is the score of its null detector after threshold optimisation,
  which is "alert nowhere", i.e. the same -fnWeight * counted windows.
- NAB optimises each detector's threshold per profile over the whole corpus and
  reports the best. Alerts here are binary, so the only alternatives NAB would
  consider are "no alerts" (0) and "every row alerts"; we report the given
  alert list's own score, which can be below 0 where NAB would report 0.
- NAB normalises over its whole 58-file corpus; here over the files given
  (31, or one category), so the figures compare with the published per-detector
  figures only as far as those are for the same files.
- If a window has width 1 and a false positive follows it, NAB divides by zero
  (prevWidth - 1); we treat that position as 3 (score -fpWeight).

Run this file to self-test: python3 tools/nab_scoring.py
"""
import bisect
import math
import statistics

# name: (tpWeight, fpWeight, fnWeight), NAB's config/profiles.json
PROFILES = {
    "standard": (1.0, 0.11, 1.0),
    "reward_low_FP": (1.0, 0.22, 1.0),
    "reward_low_FN": (1.0, 0.11, 2.0),
}
PROBATION_PERCENT = 0.15
HOUR_MS = 3_600_000


def scaled_sigmoid(position):
    if position >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


def probation_length(rows, percent=PROBATION_PERCENT):
    return int(min(math.floor(percent * rows), percent * 5000))


def window_rows(timestamps, windows):
    """[(start_ts, end_ts)] -> [(left, right)] row indices (first row stamped start / end)."""
    first = {}
    for i, t in enumerate(timestamps):
        first.setdefault(t, i)
    result = []
    for start, end in sorted(windows):
        if start not in first or end not in first:
            raise ValueError(f"window {start}..{end} does not start and end on row timestamps")
        result.append((first[start], first[end]))
    return result


def alert_rows(timestamps, alert_timestamps):
    """Each alert timestamp becomes the first row stamped at or after it (alerts after the
    last row are dropped). Returns sorted unique row indices."""
    ordered = all(a <= b for a, b in zip(timestamps, timestamps[1:]))
    rows = set()
    for a in alert_timestamps:
        if ordered:
            i = bisect.bisect_left(timestamps, a)
            if i < len(timestamps):
                rows.add(i)
        else:
            i = next((k for k, t in enumerate(timestamps) if t >= a), None)
            if i is not None:
                rows.add(i)
    return sorted(rows)


def score_file(timestamps, windows, alerts, profile):
    """One file. windows: [(left, right)] row indices, alerts: sorted unique row indices,
    profile: (tpWeight, fpWeight, fnWeight). Returns the parts normalisation needs."""
    tp_weight, fp_weight, fn_weight = profile
    probation = probation_length(len(timestamps))
    max_tp = scaled_sigmoid(-1.0)
    windows = sorted(windows)
    raw = null = perfect = 0.0
    hits = counted = false_alerts = 0
    delays = []
    alert_set = set(alerts)
    inside = set()
    for left, right in windows:
        width = right - left + 1
        if right < probation:
            continue  # every row is probationary: NAB never sees this window
        counted += 1
        null -= fn_weight
        first_scorable = max(left, probation)
        perfect += scaled_sigmoid(-(right - first_scorable + 1) / width) * tp_weight / max_tp
        first = next((i for i in range(first_scorable, right + 1) if i in alert_set), None)
        if first is None:
            raw -= fn_weight
        else:
            hits += 1
            raw += scaled_sigmoid(-(right - first + 1) / width) * tp_weight / max_tp
            delays.append(timestamps[first] - timestamps[left])
    # windows inside probation are not counted, but still serve as "the previous window"
    for left, right in windows:
        inside.update(range(left, right + 1))
    rights = [right for _, right in windows]
    for i in alerts:
        if i < probation or i in inside:
            continue
        false_alerts += 1
        k = bisect.bisect_left(rights, i) - 1  # last window whose right edge is before i
        if k < 0:
            position = 3.0
        else:
            left, right = windows[k]
            width = right - left + 1
            position = abs(right - i) / (width - 1) if width > 1 else 3.0
        raw += scaled_sigmoid(position) * fp_weight
    return {"raw": raw, "null": null, "perfect": perfect, "hits": hits, "counted": counted,
            "false_alerts": false_alerts, "delays_ms": delays}


def normalised(parts):
    """100 * (raw - null) / (perfect - null) over a list of score_file results."""
    raw = sum(p["raw"] for p in parts)
    null = sum(p["null"] for p in parts)
    perfect = sum(p["perfect"] for p in parts)
    return 100.0 * (raw - null) / (perfect - null) if perfect != null else float("nan")


class Corpus:
    """The rows and labelled windows of a set of files, ready to score alert lists against.

    series: {device: [row timestamps in file order]}, labels: {device: [(start_ts, end_ts)]}.
    """

    def __init__(self, series, labels):
        self.series = series
        self.windows = {d: window_rows(ts, labels.get(d, [])) for d, ts in series.items()}

    def score(self, alerts, devices=None, profiles=PROFILES):
        """alerts: {device: [alert timestamps]}. Returns {"profiles": {name: normalised score},
        "raw": {name: raw total}, "hits", "counted", "false_alerts", "median_delay_h"}."""
        devices = sorted(self.series) if devices is None else devices
        rows = {d: alert_rows(self.series[d], alerts.get(d, [])) for d in devices}
        result = {"profiles": {}, "raw": {}}
        for name, profile in profiles.items():
            parts = [score_file(self.series[d], self.windows[d], rows[d], profile) for d in devices]
            result["profiles"][name] = normalised(parts)
            result["raw"][name] = sum(p["raw"] for p in parts)
        delays = [x for p in parts for x in p["delays_ms"]]
        result["hits"] = sum(p["hits"] for p in parts)
        result["counted"] = sum(p["counted"] for p in parts)
        result["false_alerts"] = sum(p["false_alerts"] for p in parts)
        result["median_delay_h"] = statistics.median(delays) / HOUR_MS if delays else float("nan")
        return result

    def window_starts(self):
        """The alert list of a detector that alerts at every window's first row."""
        return {d: [self.series[d][left] for left, _ in w] for d, w in self.windows.items()}


def score_alerts(series, labels, alerts, devices=None, profiles=PROFILES):
    """Convenience: score {device: [alert timestamps]} against series and labels."""
    return Corpus(series, labels).score(alerts, devices, profiles)


def _self_test():
    # one file of 1000 rows one minute apart; probation is 150 rows; one window rows 400..499
    minute = 60_000
    ts = [i * minute for i in range(1000)]
    series = {"f": ts}
    labels = {"f": [(ts[400], ts[499])]}
    corpus = Corpus(series, labels)
    standard = PROFILES["standard"]
    tp, fp, fn = standard

    def close(a, b, eps=1e-9):
        return abs(a - b) <= eps

    at_start = corpus.score({"f": [ts[400]]})
    assert all(close(v, 100.0) for v in at_start["profiles"].values()), at_start
    assert at_start["hits"] == 1 and at_start["false_alerts"] == 0 and at_start["median_delay_h"] == 0
    assert close(corpus.score(corpus.window_starts())["profiles"]["standard"], 100.0)
    # an alert between rows counts at the next row; duplicates alert once
    assert close(corpus.score({"f": [ts[399] + 1, ts[400], ts[400] + 5]})["profiles"]["standard"], 100.0)

    none = corpus.score({})
    assert all(close(v, 0.0) for v in none["profiles"].values()), none
    assert close(none["raw"]["standard"], -fn)

    # a false positive before any window (after probation) costs exactly fpWeight
    rows = alert_rows(ts, [ts[200]])
    part = score_file(ts, corpus.windows["f"], rows, standard)
    assert close(part["raw"], -fn - fp) and part["false_alerts"] == 1, part
    # ... and one inside probation costs nothing
    assert close(score_file(ts, corpus.windows["f"], alert_rows(ts, [ts[10]]), standard)["raw"], -fn)

    # a false positive right after the window costs almost nothing
    just_after = score_file(ts, corpus.windows["f"], alert_rows(ts, [ts[400], ts[500]]), standard)
    assert -0.03 * fp < just_after["raw"] - tp < 0, just_after  # S(1/99) = -0.025
    # far after the window it costs the full fpWeight
    far = score_file(ts, corpus.windows["f"], alert_rows(ts, [ts[400], ts[900]]), standard)
    assert close(far["raw"], tp - fp), far

    # a late detection earns less, the last row of the window earns S(-1/width)/S(-1)
    late = score_file(ts, corpus.windows["f"], [499], standard)
    assert close(late["raw"], scaled_sigmoid(-1 / 100) / scaled_sigmoid(-1.0))
    mid = corpus.score({"f": [ts[450]]})
    assert 0 < mid["profiles"]["standard"] < 100 and close(mid["median_delay_h"], 50 / 60)
    # only the earliest detection in a window counts
    assert close(score_file(ts, corpus.windows["f"], [400, 450, 499], standard)["raw"], tp)

    # a window entirely inside probation is not counted, but is "the previous window"
    early = Corpus(series, {"f": [(ts[10], ts[19]), (ts[400], ts[499])]})
    assert early.score({})["counted"] == 1
    after_early = score_file(ts, early.windows["f"], [20, 400], standard)  # 20 < probation: ignored
    assert close(after_early["raw"], tp)
    after_early = score_file(ts, early.windows["f"], [160, 400], standard)  # 141 rows past a width-10 window
    assert close(after_early["raw"], tp - fp)

    # duplicate timestamps: the window's start is the first row with that stamp
    dup = [0, 1, 2, 2, 3] + list(range(4, 100))
    assert window_rows(dup, [(2, 3)]) == [(2, 4)]
    assert alert_rows(dup, [2]) == [2]
    print("nab_scoring self-test: ok")


if __name__ == "__main__":
    _self_test()
