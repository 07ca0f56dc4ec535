"""The rush's load generator: one asyncio process, every connection opened first, all requests released at once.

    python -m bench.rush_client < plan.json > figures.json

The plan is {"host", "port", "requests": [raw HTTP/1.1 request text, ...]}. The client opens one
connection per request (TCP handshakes done before the clock starts, so the burst is the
requests themselves), then writes every request in the same turn of the event loop and reads
each response in full (Content-Length or chunked). It runs in a process of its own and costs
little CPU (no thread per request), so the machine's cores go to the server being measured.
Prints {"latencies_ms": [...], "statuses": [...], "errors": [...], "wall_seconds": ..., "cpu_seconds": ...}.
"""
import asyncio
import json
import sys
import time


async def _read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.read()
    return status


async def _rush(host, port, requests):
    count = len(requests)
    latencies, statuses, errors = [None] * count, [0] * count, []
    connected = 0
    all_connected, release = asyncio.Event(), asyncio.Event()

    async def one(i, raw):
        nonlocal connected
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError as exc:
            errors.append(f"connect: {exc!r}")
            reader = writer = None
        connected += 1
        if connected == count:
            all_connected.set()
        await release.wait()
        if writer is None:
            return
        started = time.perf_counter()
        try:
            writer.write(raw)
            statuses[i] = await _read_response(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            errors.append(repr(exc))
        latencies[i] = (time.perf_counter() - started) * 1000
        writer.close()

    tasks = [asyncio.create_task(one(i, raw.encode("latin-1"))) for i, raw in enumerate(requests)]
    await all_connected.wait()
    cpu, started = time.process_time(), time.perf_counter()
    release.set()
    await asyncio.gather(*tasks)
    return {
        "latencies_ms": [x if x is not None else 0.0 for x in latencies],
        "statuses": statuses,
        "errors": errors[:5],
        "error_count": len(errors),
        "wall_seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
    }


def main():
    plan = json.load(sys.stdin)
    figures = asyncio.run(_rush(plan["host"], plan["port"], plan["requests"]))
    json.dump(figures, sys.stdout)


if __name__ == "__main__":
    main()
