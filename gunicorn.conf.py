"""gunicorn settings; gunicorn reads this file from the working directory by itself."""
import gc


def post_worker_init(worker):
    """Freeze what the loaded app holds, so that full garbage collections skip it.

    The app's long-lived objects (modules, table metadata, templates, translations) would be
    scanned by every full collection; a large page (a 300-person skill matrix allocates enough
    to trigger one) then paused for ~80 ms on every other request. Frozen, they are never scanned.
    """
    gc.freeze()
