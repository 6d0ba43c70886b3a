/**
 * One dataset: policy, contract, resolution, version history with diffs, ops toggles (confirm +
 * reason to the audit log), recent FAIL evidence by reason code, charts, incidents, audit.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { call, enc, get, qs, type Result } from '../api.js';
import { ConfirmDialog, Loading, Problem, TimeChart, useLoad } from '../components.js';
import { diffDocs } from '../diff.js';
import { age, num, pct, shortId, time } from '../format.js';
import { bucket, groupByReason, healthOf, passFail, recentEvidence } from '../signals.js';
import {
  type AuditEntry,
  DISABLEABLE_GATES,
  type EvidencePage,
  type Health,
  MODES,
  type Ops,
  type Page,
  type Policy,
} from '../types.js';
import { IncidentList } from './incidents.js';

const CHART_WINDOW_SEC = 3600;
const CHART_SAMPLE = 500;

export function DatasetPage({ urn }: { urn: string }) {
  const base = `/v1/datasets/${enc(urn)}`;
  const [policy] = useLoad(() => get<Policy>(`${base}/policy`), [urn]);
  // Bumped by a saved toggle so "Recent changes" shows its audit entry at once.
  const [changes, setChanges] = useState(0);
  if (!policy) return html`<h1>${urn}</h1><${Loading} what="the policy" />`;
  if (!policy.ok) return html`<h1>${urn}</h1><${Problem} what="Policy" r=${policy} />`;
  const p = policy.body;
  return html`<h1>${urn}</h1>
    <p class="muted">${p.tier} · owners ${p.owners.join(', ')} · ${p.enforcement_mode} · policy v${p.version} by ${p.updated_by} at ${time(p.updated_at)}</p>
    <${HealthSummary} urn=${urn} />
    <${OpsToggles} urn=${urn} onSaved=${() => setChanges((n) => n + 1)} />
    <${FailEvidence} urn=${urn} />
    <${Charts} urn=${urn} />
    <section aria-labelledby="inc-h"><h2 id="inc-h">Incidents</h2><${IncidentList} datasetUrn=${urn} /></section>
    <${PolicyDetails} urn=${urn} policy=${p} />
    <${DatasetAudit} urn=${urn} changes=${changes} />`;
}

function HealthSummary({ urn }: { urn: string }) {
  const [h] = useLoad(() => healthOf(urn), [urn]);
  if (!h) return html`<${Loading} what="health" />`;
  if (!h.ok) return html`<${Problem} what="Health (signal engine)" r=${h} />`;
  const { compliance: c, volume: v, freshness: f } = h.body as Health;
  return html`${h.body.stale ? html`<p class="notice degraded" role="status">Health is stale: ${h.body.stale_reason ?? 'the Signal Engine is behind'}.</p>` : null}
  <dl class="health" aria-label="Health now">
    <div class=${c?.breached ? 'bad' : ''}><dt>Compliance</dt><dd>${pct(c?.rate)} (SLO ${pct(c?.slo)}, ${num(c?.fail)} FAIL / ${num((c?.pass ?? 0) + (c?.fail ?? 0))} in ${age(c?.window_sec)})</dd></div>
    <div class=${v?.breached ? 'bad' : ''}><dt>Volume</dt><dd>${v?.records_per_min ?? '–'} rec/min (expected ${v?.expected_rpm ?? '–'})</dd></div>
    <div class=${f?.breached ? 'bad' : ''}><dt>Freshness</dt><dd>${age(f?.age_sec)} old (SLO ${age(f?.slo_sec)}), last seen ${time(f?.last_seen_at)}</dd></div>
    <div><dt>Open incidents</dt><dd>${h.body.open_incidents ?? '–'}</dd></div>
  </dl>
  <p class="muted">As of ${time(h.body.as_of)}</p>`;
}

function OpsToggles({ urn, onSaved }: { urn: string; onSaved: () => void }) {
  const path = `/v1/datasets/${enc(urn)}/ops`;
  const [ops, reload] = useLoad(() => get<Ops>(path), [urn]);
  const [draft, setDraft] = useState<{
    actions_paused: boolean;
    mode_override: string;
    disabled_gates: string[];
  } | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  if (!ops) return html`<${Loading} what="ops toggles" />`;
  if (!ops.ok) return html`<${Problem} what="Ops toggles" r=${ops} />`;
  const cur = ops.body;
  const d = draft ?? {
    actions_paused: cur.actions_paused,
    mode_override: cur.mode_override ?? '',
    disabled_gates: cur.disabled_gates,
  };
  const changes = diffDocs(
    {
      actions_paused: cur.actions_paused,
      mode_override: cur.mode_override ?? '(policy)',
      disabled_gates: cur.disabled_gates.join(', ') || '(none)',
    },
    {
      actions_paused: d.actions_paused,
      mode_override: d.mode_override || '(policy)',
      disabled_gates: d.disabled_gates.join(', ') || '(none)',
    },
  );
  const apply = async (reason: string) => {
    const body = {
      actions_paused: d.actions_paused,
      disabled_gates: d.disabled_gates,
      ...(d.mode_override ? { mode_override: d.mode_override } : {}),
    };
    const r = await call<Ops>('PUT', path, {
      body,
      headers: { 'if-match': `"${cur.version}"`, 'x-audit-reason': encodeURIComponent(reason) },
    });
    if (!r.ok) return `${r.code}: ${r.message}`;
    setDone(`Saved: ops toggles are now version ${r.body.version}; enforcers apply them within one poll.`);
    setDraft(null);
    reload();
    onSaved();
    return null;
  };
  const toggleGate = (g: string, on: boolean) =>
    setDraft({ ...d, disabled_gates: on ? [...d.disabled_gates, g] : d.disabled_gates.filter((x) => x !== g) });
  return html`<section aria-labelledby="ops-h">
    <h2 id="ops-h">Ops toggles</h2>
    <p class="muted">Version ${cur.version}${cur.version > 0 ? ` by ${cur.updated_by} at ${time(cur.updated_at)}` : ' (never set: defaults)'}</p>
    <form class="ops" onSubmit=${(e: Event) => {
      e.preventDefault();
      setDone(null);
      setConfirming(true);
    }}>
      <label class="check"><input type="checkbox" name="actions_paused" checked=${d.actions_paused}
        onChange=${(e: Event) => setDraft({ ...d, actions_paused: (e.target as HTMLInputElement).checked })} />
        Pause actions (evidence only: no quarantine, no republish)</label>
      <label>Mode override<select name="mode_override" value=${d.mode_override}
        onChange=${(e: Event) => setDraft({ ...d, mode_override: (e.target as HTMLSelectElement).value })}>
        <option value="">none (the policy's mode)</option>
        ${MODES.map((m) => html`<option value=${m}>${m}</option>`)}
      </select></label>
      <fieldset><legend>Disabled gates</legend>
        ${DISABLEABLE_GATES.map(
          (
            g,
          ) => html`<label class="check"><input type="checkbox" name=${`gate-${g}`} checked=${d.disabled_gates.includes(g)}
            onChange=${(e: Event) => toggleGate(g, (e.target as HTMLInputElement).checked)} /> ${g}</label>`,
        )}
      </fieldset>
      <button type="submit" class="primary" disabled=${changes.length === 0}>Apply changes…</button>
      ${draft ? html`<button type="button" onClick=${() => setDraft(null)}>Discard</button>` : null}
    </form>
    ${done ? html`<p class="notice ok" role="status">${done}</p>` : null}
    <${ConfirmDialog}
      open=${confirming}
      title=${`Change the ops toggles of ${urn}?`}
      summary=${html`<ul>${changes.map((c) => html`<li><code>${c.path}</code>: ${String(c.before)} → <strong>${String(c.after)}</strong></li>`)}</ul>`}
      confirmLabel="Apply"
      onConfirm=${apply}
      onClose=${() => setConfirming(false)}
    />
  </section>`;
}

function IndexNote({ r }: { r: Result<EvidencePage> }) {
  if (!r.ok) return null;
  const s = r.body.index;
  if (!s || s.state === 'live') return null;
  return html`<p class="notice degraded" role="status">The evidence index is ${s.state} (lag ${s.lag ?? 'unknown'}${s.last_error ? `; ${s.last_error}` : ''}): recent evidence may be missing here.</p>`;
}

function FailEvidence({ urn }: { urn: string }) {
  const [r] = useLoad(() => recentEvidence(urn, { result: 'FAIL', limit: 200 }), [urn]);
  return html`<section aria-labelledby="fail-h">
    <h2 id="fail-h">Recent FAIL evidence by reason code</h2>
    ${
      !r
        ? html`<${Loading} what="evidence" />`
        : !r.ok
          ? html`<${Problem} what="Evidence index" r=${r} />`
          : html`<${IndexNote} r=${r} />
            ${
              r.body.items.length === 0
                ? html`<p class="notice ok" role="status">No FAIL evidence in the index for this dataset.</p>`
                : html`<table class="reasons">
                    <caption>From the ${r.body.items.length} newest FAIL events in the index</caption>
                    <thead><tr><th scope="col">Reason code</th><th scope="col">Gates</th><th scope="col">Count</th><th scope="col">Last seen</th><th scope="col">Samples</th></tr></thead>
                    <tbody>${groupByReason(r.body.items).map(
                      (g) => html`<tr>
                        <th scope="row"><code>${g.code}</code></th><td>${g.gates.join(', ')}</td><td>${g.count}</td><td>${time(g.last)}</td>
                        <td>${g.samples.map((id, i) => html`${i ? ', ' : ''}<a class="sample" href=${`#/evidence/${enc(id)}`} aria-label=${`Evidence ${id} (${g.code})`}>${shortId(id)}</a>`)}</td>
                      </tr>`,
                    )}</tbody>
                  </table>`
            }`
    }
  </section>`;
}

function Charts({ urn }: { urn: string }) {
  const [r] = useLoad(() => {
    const now = Math.floor(Date.now() / 1000);
    return passFail(urn, now - CHART_WINDOW_SEC, now, 60);
  }, [urn]);
  // Event-time lag needs the events themselves (the counts carry none): the newest indexed ones.
  const [ev] = useLoad(() => {
    const since = new Date(Date.now() - CHART_WINDOW_SEC * 1000).toISOString();
    return recentEvidence(urn, { since, limit: CHART_SAMPLE });
  }, [urn]);
  if (!r) return html`<${Loading} what="charts" />`;
  if (!r.ok)
    return html`<section aria-labelledby="charts-h"><h2 id="charts-h">Charts</h2><${Problem} what="Evidence index" r=${r} /></section>`;
  const { b, source, events, capped } = r.body;
  const x = events === 0 ? [] : b.x;
  const lag = ev?.ok ? bucket(ev.body.items, b.x[0], b.x[0] + CHART_WINDOW_SEC, 60).lagSec : b.lagSec;
  return html`<section aria-labelledby="charts-h">
    <h2 id="charts-h">Last hour, per minute</h2>
    <p class="muted">${
      source === 'counts'
        ? `${num(events)} evidence events from the index's per-minute counts; freshness from the newest ${ev?.ok ? ev.body.items.length : 0} indexed events.`
        : `From ${events} indexed evidence events${capped ? ` (the newest ${CHART_SAMPLE} only: older minutes are under-counted)` : ''}.`
    }</p>
    <div class="charts">
      <${TimeChart} title="Compliance (PASS share)" x=${x} series=${[{ label: 'PASS share', values: b.rate, color: '#1a7f37' }]} />
      <${TimeChart} title="Volume (records per minute)" x=${x} series=${[
        { label: 'PASS', values: b.pass, color: '#0550ae' },
        { label: 'FAIL', values: b.fail, color: '#b3261e' },
      ]} />
      <${TimeChart} title="Freshness (median event-time lag, s)" x=${x} series=${[{ label: 'lag s', values: lag, color: '#6f42c1' }]} />
    </div>
  </section>`;
}

/** An entry of GET .../policy/versions (audit entries); `version` tolerated for other shapes. */
type Version = { version?: number; after_version?: number | null; at?: string; actor?: string; action?: string };
type Change = { path: string; before: unknown; after: unknown };
type ServerDiff = { changes: Array<{ op: string; path: string; from_value?: unknown; value?: unknown }> };

const versionsOf = (body: unknown): Array<Version & { n: number }> =>
  ((Array.isArray(body) ? body : ((body as { items?: Version[] })?.items ?? [])) as Version[])
    .map((v) => ({ ...v, n: v.version ?? v.after_version ?? 0 }))
    .filter((v) => v.n > 0);

/** The server's diff (JSON Patch) when it has one; else both bodies, diffed here. */
async function loadDiff(base: string, a: number, b: number): Promise<Result<Change[]>> {
  const d = await get<ServerDiff>(`${base}/policy/versions/${a}/diff/${b}`);
  if (d.ok) {
    const changes = d.body.changes.map((c) => ({ path: c.path, before: c.from_value, after: c.value }));
    return { ...d, body: changes };
  }
  if (!d.missing) return d;
  const [x, y] = await Promise.all([
    get<unknown>(`${base}/policy/versions/${a}`),
    get<unknown>(`${base}/policy/versions/${b}`),
  ]);
  if (!x.ok) return x;
  if (!y.ok) return y;
  return { ...y, body: diffDocs(x.body, y.body) };
}

function PolicyDetails({ urn, policy }: { urn: string; policy: Policy }) {
  const base = `/v1/datasets/${enc(urn)}`;
  const [resolution] = useLoad(() => get<{ rules: unknown[]; version: number }>(`${base}/resolution`), [urn]);
  const [contract] = useLoad(
    async () =>
      policy.contract_id
        ? get<unknown>(`/v1/contracts/${enc(policy.contract_id)}`)
        : ({ ok: true, status: 200, body: null, headers: new Headers() } as const),
    [policy.contract_id],
  );
  const [versions] = useLoad(() => get<unknown>(`${base}/policy/versions${qs({ limit: 20 })}`), [urn]);
  return html`<section aria-labelledby="policy-h">
    <h2 id="policy-h">Policy, contract and resolution</h2>
    <details open><summary>Policy v${policy.version}</summary><pre>${JSON.stringify(policy, null, 2)}</pre></details>
    <details><summary>Contract ${policy.contract_id ?? '(none)'}</summary>
      ${!contract ? html`<${Loading} what="the contract" />` : !contract.ok ? html`<${Problem} what="Contract" r=${contract} />` : html`<pre>${contract.body ? JSON.stringify(contract.body, null, 2) : 'This policy names no contract.'}</pre>`}
    </details>
    <details><summary>Resolution rules</summary>
      ${
        !resolution
          ? html`<${Loading} what="resolution rules" />`
          : !resolution.ok
            ? resolution.code === 'DATASET_NOT_FOUND'
              ? html`<p>No resolution rules: records reach this dataset only through the enforcer's defaults.</p>`
              : html`<${Problem} what="Resolution" r=${resolution} />`
            : html`<pre>${JSON.stringify(resolution.body, null, 2)}</pre>`
      }
    </details>
    <h3>Version history</h3>
    ${!versions ? html`<${Loading} what="versions" />` : !versions.ok ? html`<${Problem} what="Policy version history" r=${versions} />` : html`<${Versions} base=${base} list=${versionsOf(versions.body)} />`}
  </section>`;
}

function Versions({ base, list }: { base: string; list: Array<Version & { n: number }> }) {
  const [pick, setPick] = useState<number | null>(null);
  const [diff, setDiff] = useState<{ a: number; b: number; r: Result<Change[]> | null } | null>(null);
  const show = async (v: number) => {
    setPick(v);
    setDiff({ a: v - 1, b: v, r: v > 1 ? await loadDiff(base, v - 1, v) : null });
  };
  if (list.length === 0) return html`<p>No versions recorded.</p>`;
  return html`<ul class="versions">${list.map(
    (v) => html`<li>
      <button type="button" aria-pressed=${pick === v.n} onClick=${() => show(v.n)}>v${v.n}</button>
      ${time(v.at)} by ${v.actor ?? '?'}${v.action ? ` (${v.action})` : ''}
    </li>`,
  )}</ul>
  ${diff ? html`<${VersionDiff} ...${diff} />` : null}`;
}

function VersionDiff({ a, b, r }: { a: number; b: number; r: Result<Change[]> | null }) {
  if (r === null) return html`<p>v${b} is the first version.</p>`;
  if (!r.ok) return html`<${Problem} what=${`Diff of versions ${a} and ${b}`} r=${r} />`;
  return html`<table class="diff"><caption>Changes from v${a} to v${b}</caption>
    <thead><tr><th scope="col">Field</th><th scope="col">v${a}</th><th scope="col">v${b}</th></tr></thead>
    <tbody>${r.body.map((c) => html`<tr><th scope="row"><code>${c.path}</code></th><td><del>${JSON.stringify(c.before) ?? '–'}</del></td><td><ins>${JSON.stringify(c.after) ?? '–'}</ins></td></tr>`)}</tbody>
  </table>`;
}

function DatasetAudit({ urn, changes }: { urn: string; changes: number }) {
  const [r] = useLoad(() => get<Page<AuditEntry>>(`/v1/audit${qs({ target: urn, limit: 20 })}`), [urn, changes]);
  return html`<section aria-labelledby="audit-h">
    <h2 id="audit-h">Recent changes</h2>
    ${!r ? html`<${Loading} what="the audit log" />` : !r.ok ? html`<${Problem} what="Audit log" r=${r} />` : html`<ul>${r.body.items.map((e) => html`<li>${time(e.at)} <strong>${e.action}</strong> by ${e.actor} (v${e.before_version ?? '–'} → v${e.after_version ?? '–'})${e.reason ? html`: <q>${e.reason}</q>` : ''}</li>`)}</ul>`}
  </section>`;
}
