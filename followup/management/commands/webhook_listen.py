"""A webhook receiver for trying the portal's webhooks: prints each event whose signature checks out.

    python manage.py webhook_listen --port 9000 --secret whsec_...

It shows what a real receiver must do: read the raw body, check `Portal-Signature`
with the shared secret (`followup.webhooks.verify_signature`), answer 2xx quickly,
and drop a `Portal-Delivery` id it has seen before.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from followup.webhooks import verify_signature


class Command(BaseCommand):
    help = "Receive the portal's webhooks on localhost and print the verified events."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=9000)
        parser.add_argument("--secret", required=True, help="The subscriber's secret, from the admin.")

    def handle(self, *args: Any, port: int, secret: str, **options: Any) -> None:
        out, seen = self.stdout, set()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if not verify_signature(secret, self.headers.get("Portal-Signature", ""), body):
                    self.send_response(401)
                    self.end_headers()
                    out.write("refused: bad or old signature")
                    return
                self.send_response(204)
                self.end_headers()
                delivery = self.headers.get("Portal-Delivery", "")
                if delivery in seen:
                    return  # a retry of something already handled
                seen.add(delivery)
                event = json.loads(body)
                data = event["data"]
                out.write(f"{event['event']}: {data.get('number') or data.get('id')} ({data.get('state')})")

            def log_message(self, *args: Any) -> None:
                pass

        out.write(f"Listening on http://127.0.0.1:{port}/ (Ctrl-C stops)")
        HTTPServer(("127.0.0.1", port), Handler).serve_forever()
