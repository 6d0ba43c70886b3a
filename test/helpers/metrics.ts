/** Reads one metric from a process's /metrics (Prometheus text), summed over matching series. */
import { request } from 'undici';

export function metricValues(text: string, name: string, labels: Record<string, string> = {}): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      out.push(Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

export async function scrape(url: string): Promise<string> {
  return (await request(`${url}/metrics`, { headersTimeout: 5000 })).body.text();
}

export async function metricSum(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  return metricValues(await scrape(url), name, labels).reduce((a, b) => a + b, 0);
}

/** Polls until `pred(value)` holds or the timeout passes; returns the last value. */
export async function waitMetric(
  url: string,
  name: string,
  labels: Record<string, string>,
  pred: (v: number) => boolean,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let v = Number.NaN;
  while (Date.now() < deadline) {
    try {
      v = await metricSum(url, name, labels);
      if (pred(v)) return v;
    } catch {
      // process restarting or not yet listening
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return v;
}
