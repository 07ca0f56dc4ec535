"""Settings of a long-running web process: how its garbage collector treats the loaded app."""
import gc

# Collect the youngest generation after 50,000 new objects instead of 700, the middle one every
# 20 of those and the oldest every 100 of the middle (CPython: 700, 10, 10). A large page (the
# network view reads and scrubs thousands of answers, a unit feed thousands of events) allocates
# hundreds of thousands of short-lived objects; with the defaults they set off hundreds of young
# collections and every few requests a full one that scans the whole heap, which showed as
# latency spikes of 0.3–1 s. Young garbage is still collected within a request or two.
GC_THRESHOLDS = (50_000, 20, 100)


def settle_worker():
    """Freeze what the loaded app holds and make collections rarer (called once per web worker).

    Frozen, the app's long-lived objects (modules, table metadata, templates, translations) are
    never scanned again by a full collection.
    """
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
