# The Python snippet of the Dashello docs, unchanged but for the base URL.
import json
import os
import sys

import requests

BASE_URL = os.environ["INTAKE_URL"]
API_KEY = os.environ["INTAKE_KEY"]

response = requests.post(
    f"{BASE_URL}/api/ingest/metric",
    headers={"Authorization": f"Bearer {API_KEY}"},
    json={"metric": "revenue", "value": 12345, "source": "api"},
)
print(response.status_code, json.dumps(response.json(), separators=(",", ":")))
sys.exit(0 if response.ok else 1)
