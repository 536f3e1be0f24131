"""A WSGI application that takes its time, for the gunicorn tests.

GET /?seconds=N streams CHUNKS chunks of CHUNK_BYTES over about N seconds (a download on a slow link);
POST reads the whole request body, however slowly it comes, and answers how many bytes it read."""

import time
from urllib.parse import parse_qs

CHUNKS = 20
CHUNK_BYTES = 1024


def application(environ, start_response):
    if environ["REQUEST_METHOD"] == "POST":
        received = 0
        while chunk := environ["wsgi.input"].read(64 * 1024):
            received += len(chunk)
        body = str(received).encode()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]
    seconds = float(parse_qs(environ.get("QUERY_STRING", "")).get("seconds", ["0"])[0])
    headers = [("Content-Type", "application/octet-stream"), ("Content-Length", str(CHUNKS * CHUNK_BYTES))]
    start_response("200 OK", headers)
    return _slowly(seconds)


def _slowly(seconds: float):
    for number in range(CHUNKS):
        time.sleep(seconds / CHUNKS)
        yield bytes([number]) * CHUNK_BYTES
