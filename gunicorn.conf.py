"""gunicorn settings; gunicorn reads this file from the working directory by itself."""


def post_worker_init(worker):
    """Settle the loaded app in each worker: frozen out of full collections, rarer collections."""
    from ktc.runtime import settle_worker

    settle_worker()
