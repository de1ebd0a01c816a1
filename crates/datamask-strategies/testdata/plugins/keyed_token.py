#!/usr/bin/env python3
"""A well-behaved datamask plug-in: replaces every text value with a keyed token.

Reads {"value": ...} lines on stdin until EOF and writes one {"value": ...} line per input
line. The token is HMAC-SHA256 under DATAMASK_PLUGIN_KEY, so it is deterministic and keyed
like datamask's own strategies. Numbers and NULLs pass through unchanged.
"""
import hashlib
import hmac
import json
import os
import sys

key = bytes.fromhex(os.environ["DATAMASK_PLUGIN_KEY"])
for line in sys.stdin:
    value = json.loads(line)["value"]
    if isinstance(value, str):
        value = "tok-" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:12]
    sys.stdout.write(json.dumps({"value": value}) + "\n")
