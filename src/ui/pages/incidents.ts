/** Incidents (from the signal engine): open first, acknowledge with a confirmation, a timeline, samples. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { call, enc, get, qs, type Result } from '../api.js';
import { ConfirmDialog, Loading, Problem, useLoad } from '../components.js';
import { shortId, time } from '../format.js';
import type { Incident, Page } from '../types.js';

const STATE_ORDER: Record<string, number> = { open: 0, acknowledged: 1, resolved: 2 };

export function IncidentsPage() {
  return html`<h1>Incidents</h1><${IncidentList} />`;
}

/** Every state, open first, newest first within a state. */
async function loadIncidents(datasetUrn?: string): Promise<Result<Incident[]>> {
  const rs = await Promise.all(
    ['open', 'acknowledged', 'resolved'].map((state) =>
      get<Page<Incident>>(`/v1/incidents${qs({ dataset_urn: datasetUrn, state, limit: 50 })}`),
    ),
  );
  const bad = rs.find((r) => !r.ok);
  if (bad && !bad.ok) return bad;
  const items = rs.flatMap((r) => (r.ok ? r.body.items : []));
  items.sort(
    (a, b) => (STATE_ORDER[a.state] ?? 3) - (STATE_ORDER[b.state] ?? 3) || (a.updated_at < b.updated_at ? 1 : -1),
  );
  return { ok: true, status: 200, body: items, headers: new Headers() };
}

export function IncidentList({ datasetUrn }: { datasetUrn?: string }) {
  const [r, reload] = useLoad(() => loadIncidents(datasetUrn), [datasetUrn]);
  const [acking, setAcking] = useState<Incident | null>(null);
  if (!r) return html`<${Loading} what="incidents" />`;
  if (!r.ok) return html`<${Problem} what="Incidents (signal engine)" r=${r} />`;
  if (r.body.length === 0)
    return html`<p class="notice ok" role="status">No incidents${datasetUrn ? ' for this dataset' : ''}.</p>`;
  const ack = async () => {
    if (!acking) return null;
    const x = await call<Incident>('POST', `/v1/incidents/${enc(acking.incident_id)}/ack`, { body: {} });
    if (!x.ok) return `${x.code}: ${x.message}`;
    reload();
    return null;
  };
  return html`<ol class="incidents">
      ${r.body.map((i) => html`<${IncidentCard} i=${i} onAck=${() => setAcking(i)} />`)}
    </ol>
    <${ConfirmDialog}
      open=${acking !== null}
      title="Acknowledge this incident?"
      summary=${acking ? html`<p>${acking.kind} on <code>${acking.dataset_urn}</code>: ${acking.summary}</p><p>Your name and the time are recorded on the incident.</p>` : ''}
      confirmLabel="Acknowledge"
      askReason=${false}
      onConfirm=${ack}
      onClose=${() => setAcking(null)}
    />`;
}

function IncidentCard({ i, onAck }: { i: Incident; onAck: () => void }) {
  const codes = i.top_reason_codes.map((c) =>
    typeof c === 'string' ? c : `${c.code}${c.count ? ` (${c.count})` : ''}`,
  );
  const steps: Array<[string, string | null | undefined]> = [
    ['opened', i.opened_at],
    ['acknowledged', i.acknowledged_at ?? (i.state === 'acknowledged' ? i.updated_at : null)],
    ['last updated', i.updated_at],
    [i.resolved_reason === 'policy_deleted' ? 'resolved (policy deleted)' : 'resolved', i.resolved_at],
  ];
  return html`<li class=${`incident ${i.state}`} data-incident=${i.incident_id}>
    <article aria-labelledby=${`inc-${i.incident_id}`}>
      <h3 id=${`inc-${i.incident_id}`}><span class=${`badge ${i.state}`}>${i.state}</span> ${i.kind} · <a href=${`#/datasets/${enc(i.dataset_urn)}`}>${i.dataset_urn}</a></h3>
      <p>${i.summary}</p>
      <ol class="timeline" aria-label="Timeline">
        ${steps.filter(([, t]) => t).map(([what, t]) => html`<li><time datetime=${t}>${time(t)}</time> ${what}${what === 'acknowledged' && i.acknowledged_by ? ` by ${i.acknowledged_by}` : ''}</li>`)}
      </ol>
      ${codes.length ? html`<p>Top reason codes: ${codes.map((c, n) => html`${n ? ', ' : ''}<code>${c}</code>`)}</p>` : null}
      ${i.suspected_producer ? html`<p>Suspected producer: <code>${i.suspected_producer}</code></p>` : null}
      ${i.sample_evidence_ids.length ? html`<p>Samples: ${i.sample_evidence_ids.map((id, n) => html`${n ? ', ' : ''}<a class="sample" href=${`#/evidence/${enc(id)}`}>${shortId(id)}</a>`)}</p>` : null}
      ${i.state === 'open' ? html`<button type="button" class="primary" onClick=${onAck}>Acknowledge…</button>` : null}
    </article>
  </li>`;
}
