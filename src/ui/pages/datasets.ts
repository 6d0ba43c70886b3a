/**
 * Datasets: one server-side page of policies (filters q/tier/owner/mode, cursor paging), with the
 * signal engine's health per row fetched for that page only, so 1,000 datasets cost one page of
 * requests. Unhealthy rows come first; column headers sort the page.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { enc, type Failed, get, mapLimit, qs, type Result } from '../api.js';
import { Loading, Problem, Sparkline, useLoad } from '../components.js';
import { age, pct } from '../format.js';
import { healthOf, passFail, unhealthy } from '../signals.js';
import { type Health, type Incident, MODES, type Page, type Policy, TIERS } from '../types.js';

const PAGE_SIZE = 50;
const HEALTH_CONCURRENCY = 6;

type SortKey = 'dataset_urn' | 'tier' | 'owners' | 'mode' | 'compliance' | 'volume' | 'freshness' | 'incidents';

interface Row {
  p: Policy;
  h?: Health;
  spark?: Array<number | null>;
}

const sortValue = (r: Row, k: SortKey): string | number => {
  switch (k) {
    case 'dataset_urn':
      return r.p.dataset_urn;
    case 'tier':
      return r.p.tier;
    case 'owners':
      return r.p.owners.join(',');
    case 'mode':
      return r.p.enforcement_mode;
    case 'compliance':
      return r.h?.compliance?.rate ?? 2;
    case 'volume':
      return r.h?.volume?.records_per_min ?? -1;
    case 'freshness':
      return r.h?.freshness?.age_sec ?? -1;
    case 'incidents':
      return r.h?.open_incidents ?? -1;
  }
};

function sortRows(rows: Row[], key: SortKey | null, dir: 1 | -1): Row[] {
  return [...rows].sort((a, b) => {
    // Unhealthy first always; the chosen column orders within each group.
    const u = Number(unhealthy(b.h)) - Number(unhealthy(a.h));
    if (u !== 0) return u;
    if (!key) return a.p.dataset_urn < b.p.dataset_urn ? -1 : 1;
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    return (x < y ? -1 : x > y ? 1 : 0) * dir;
  });
}

export function DatasetsPage() {
  const [filters, setFilters] = useState({ q: '', tier: '', owner: '', mode: '' });
  const [draft, setDraft] = useState(filters);
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const [page] = useLoad(
    () => get<Page<Policy>>(`/v1/datasets${qs({ ...filters, limit: PAGE_SIZE, cursor })}`),
    [filters, cursor],
  );
  const [rows, setRows] = useState<Row[]>([]);
  const [healthProblem, setHealthProblem] = useState<Failed | null>(null);
  const [sort, setSort] = useState<{ key: SortKey | null; dir: 1 | -1 }>({ key: null, dir: 1 });
  const [openInc] = useLoad(() => get<Page<Incident>>(`/v1/incidents${qs({ state: 'open', limit: 100 })}`), []);

  useEffect(() => {
    if (!page?.ok) return;
    let live = true;
    const base: Row[] = page.body.items.map((p) => ({ p }));
    setRows(base);
    setHealthProblem(null);
    (async () => {
      const hs = await mapLimit(base, HEALTH_CONCURRENCY, (r) => healthOf(r.p.dataset_urn));
      if (!live) return;
      const firstBad = hs.find((h): h is Failed => !h.ok && h.code !== 'DATASET_NOT_FOUND');
      setHealthProblem(firstBad ?? null);
      const withHealth = base.map((r, i) => ({ ...r, h: hs[i].ok ? (hs[i] as { body: Health }).body : undefined }));
      setRows(withHealth);
      // 24 h sparklines, hourly (the index's per-minute counts, or its newest events).
      const now = Math.floor(Date.now() / 1000);
      const series = await mapLimit(withHealth, HEALTH_CONCURRENCY, (r) =>
        passFail(r.p.dataset_urn, now - 86400, now, 3600),
      );
      if (!live) return;
      setRows(
        withHealth.map((r, i) => {
          const e = series[i];
          // [] renders "no data"; undefined (the index failed) renders a dash.
          return { ...r, spark: e.ok ? (e.body.events > 0 ? e.body.b.rate : []) : undefined };
        }),
      );
    })();
    return () => {
      live = false;
    };
  }, [page]);

  const th = (key: SortKey, label: string) => {
    const active = sort.key === key;
    return html`<th scope="col" aria-sort=${active ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'}>
      <button type="button" class="sort" onClick=${() => setSort({ key, dir: active ? (-sort.dir as 1 | -1) : 1 })}>
        ${label}${active ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}
      </button>
    </th>`;
  };
  const field = (name: 'q' | 'owner', label: string, placeholder: string) =>
    html`<label>${label}<input name=${name} value=${draft[name]} placeholder=${placeholder}
      onInput=${(e: Event) => setDraft({ ...draft, [name]: (e.target as HTMLInputElement).value })} /></label>`;
  const select = (name: 'tier' | 'mode', label: string, values: readonly string[]) =>
    html`<label>${label}<select name=${name} value=${draft[name]}
      onChange=${(e: Event) => setDraft({ ...draft, [name]: (e.target as HTMLSelectElement).value })}>
      <option value="">any</option>
      ${values.map((v) => html`<option value=${v}>${v}</option>`)}
    </select></label>`;

  return html`<h1>Datasets</h1>
    <${OpenIncidents} r=${openInc} />
    <form class="filters" role="search" aria-label="Filter datasets" onSubmit=${(e: Event) => {
      e.preventDefault();
      setCursors([]);
      setFilters(draft);
    }}>
      ${field('q', 'URN contains', 'orders')} ${select('tier', 'Tier', TIERS)} ${field('owner', 'Owner team', 'team')}
      ${select('mode', 'Mode', MODES)}
      <button type="submit" class="primary">Filter</button>
    </form>
    ${healthProblem ? html`<${Problem} what="Health (signal engine)" r=${healthProblem} />` : null}
    ${staleNote(rows)}
    ${
      !page
        ? html`<${Loading} what="datasets" />`
        : !page.ok
          ? html`<${Problem} what="Datasets" r=${page} />`
          : html`<table class="datasets">
              <caption>
                ${rows.length} datasets on this page${filters.q || filters.tier || filters.owner || filters.mode ? ' (filtered)' : ''};
                unhealthy first, then by the chosen column
              </caption>
              <thead><tr>
                ${th('dataset_urn', 'Dataset')} ${th('tier', 'Tier')} ${th('owners', 'Owners')} ${th('mode', 'Mode')}
                ${th('compliance', 'Compliance now')} <th scope="col">24 h</th> ${th('volume', 'Volume / expected')}
                ${th('freshness', 'Freshness age')} ${th('incidents', 'Open incidents')}
              </tr></thead>
              <tbody>
                ${sortRows(rows, sort.key, sort.dir).map((r) => DatasetRow(r))}
              </tbody>
            </table>
            <nav class="pager" aria-label="Dataset pages">
              <button type="button" disabled=${cursors.length === 0} onClick=${() => setCursors(cursors.slice(0, -1))}>Previous page</button>
              <span>Page ${cursors.length + 1}</span>
              <button type="button" disabled=${!page.body.next_cursor}
                onClick=${() => page.body.next_cursor && setCursors([...cursors, page.body.next_cursor])}>Next page</button>
            </nav>`
    }`;
}

/** The engine down or behind: its figures are shown, and said to be old. */
function staleNote(rows: Row[]) {
  const stale = rows.filter((r) => r.h?.stale);
  if (stale.length === 0) return null;
  return html`<p class="notice degraded" role="status">Health of ${stale.length} dataset${stale.length === 1 ? '' : 's'} on this page is stale: ${stale[0].h?.stale_reason ?? 'the Signal Engine is behind'}.</p>`;
}

function DatasetRow({ p, h, spark }: Row) {
  const bad = unhealthy(h);
  const c = h?.compliance;
  const v = h?.volume;
  const f = h?.freshness;
  return html`<tr class=${bad ? 'unhealthy' : ''} data-urn=${p.dataset_urn}>
    <th scope="row"><a href=${`#/datasets/${enc(p.dataset_urn)}`}>${p.dataset_urn}</a>${bad ? html` <span class="badge bad">unhealthy</span>` : ''}</th>
    <td>${p.tier}</td>
    <td>${p.owners.join(', ')}</td>
    <td>${p.enforcement_mode}</td>
    <td class=${c?.breached ? 'bad' : ''}>${c ? pct(c.rate) : '–'}</td>
    <td>${spark ? html`<${Sparkline} values=${spark} label=${`hourly PASS share over 24 h for ${p.dataset_urn}`} />` : '–'}</td>
    <td class=${v?.breached ? 'bad' : ''}>${v ? `${v.records_per_min ?? '–'} / ${v.expected_rpm ?? p.volume_rpm_expected}` : `– / ${p.volume_rpm_expected}`}</td>
    <td class=${f?.breached ? 'bad' : ''}>${f ? age(f.age_sec) : '–'}</td>
    <td>${h?.open_incidents ?? '–'}</td>
  </tr>`;
}

function OpenIncidents({ r }: { r: Result<Page<Incident>> | undefined }) {
  if (!r) return null;
  if (!r.ok) return html`<${Problem} what="Open incidents (signal engine)" r=${r} />`;
  const urns = [...new Set(r.body.items.map((i) => i.dataset_urn))];
  if (urns.length === 0) return html`<p class="notice ok" role="status">No open incidents.</p>`;
  return html`<section class="unhealthy-list" aria-labelledby="unhealthy-h">
    <h2 id="unhealthy-h">Unhealthy now: ${urns.length} dataset${urns.length === 1 ? '' : 's'} with open incidents</h2>
    <ul>${urns.map((u) => html`<li><a href=${`#/datasets/${enc(u)}`}>${u}</a></li>`)}</ul>
  </section>`;
}
