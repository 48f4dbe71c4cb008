// The Node.js snippet of the Dashello docs, unchanged but for the base URL.
const BASE_URL = process.env.INTAKE_URL;
const API_KEY = process.env.INTAKE_KEY;

const response = await fetch(`${BASE_URL}/api/ingest/metric`, {
  method: "POST",
  headers: {
    Authorization: `Bearer ${API_KEY}`,
    "Content-Type": "application/json",
  },
  body: JSON.stringify({ metric: "revenue", value: 12345, source: "api" }),
});
const result = await response.json();
console.log(response.status, JSON.stringify(result));
if (!response.ok) process.exit(1);
