/**
 * PII detector quality on the committed corpora (test/fixtures/pii, written by
 * perf/pii-corpus.ts): recall and precision per class on labelled.jsonl, and the share of
 * records with any finding (false positives) on business-events.jsonl and on the orders
 * corpus (src/dev/orders.ts, whose only PII is the declared customer e-mail).
 *   npx tsc -p tsconfig.json && node dist/perf/pii-quality.js
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { orders } from '../src/dev/orders.js';
import { compile, evaluate } from '../src/workers/gates/pii.js';
import { CLASS_BITS, detect } from '../src/workers/gates/pii-detect.js';

const DIR = resolve(fileURLToPath(import.meta.url), '../../../test/fixtures/pii');

export interface ClassQuality {
  cls: string;
  tp: number;
  fn: number;
  fp: number;
  recall: number;
  precision: number;
}

const lines = (f: string) =>
  readFileSync(join(DIR, f), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));

/** Per class: a sample counts for its class when the class is found; any other class found is a false positive of that class. */
export function labelledQuality(): { classes: ClassQuality[]; misses: string[] } {
  const q = new Map(CLASS_BITS.map(([, cls]) => [cls, { tp: 0, fn: 0, fp: 0 }]));
  const misses: string[] = [];
  for (const { text, class: want } of lines('labelled.jsonl') as { text: string; class: string | null }[]) {
    const mask = detect(text, 0);
    for (const [bit, cls] of CLASS_BITS) {
      const found = (mask & bit) !== 0;
      const c = q.get(cls)!;
      if (cls === want) {
        if (found) c.tp++;
        else {
          c.fn++;
          misses.push(`missed ${cls} (${text.length} chars)`);
        }
      } else if (found) {
        c.fp++;
        misses.push(`${cls} found in a ${want ?? 'non-PII'} sample (${text.length} chars)`);
      }
    }
  }
  const classes = [...q].map(([cls, c]) => ({
    cls,
    ...c,
    recall: c.tp + c.fn === 0 ? 1 : c.tp / (c.tp + c.fn),
    precision: c.tp + c.fp === 0 ? 1 : c.tp / (c.tp + c.fp),
  }));
  return { classes, misses };
}

/** Share of records with any finding the data should not have (DETECT policy: findings without failing). */
export function falsePositiveRates(): { business: [number, number]; orders: [number, number] } {
  const c = compile('DETECT', undefined);
  let bizFp = 0;
  const events = lines('business-events.jsonl');
  for (const e of events) if (evaluate(c, e, true).findings !== null) bizFp++;
  let orderFp = 0;
  let n = 0;
  const mix = { missing_customer: 0, bad_currency: 0, undeclared_pii: 0, poison: 0 };
  for (const r of orders(2000, 7, mix)) {
    n++;
    const f = evaluate(c, JSON.parse(r.value!.toString()), true).findings ?? [];
    if (f.some((x) => x.path !== 'customer.email')) orderFp++;
  }
  return { business: [bizFp, events.length], orders: [orderFp, n] };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { classes, misses } = labelledQuality();
  console.log('| class | samples | recall | precision |\n|---|---|---|---|');
  for (const c of classes)
    console.log(`| ${c.cls} | ${c.tp + c.fn} | ${c.recall.toFixed(3)} | ${c.precision.toFixed(3)} |`);
  const fp = falsePositiveRates();
  console.log(
    `\nfalse positives: business events ${fp.business[0]}/${fp.business[1]}, orders ${fp.orders[0]}/${fp.orders[1]}`,
  );
  if (process.argv.includes('--misses')) for (const m of misses) console.log(m);
}
