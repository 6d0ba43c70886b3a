/** One evidence event in full (a sample opened from a reason-code group or an incident). */
import { html } from 'htm/preact';
import { enc, get } from '../api.js';
import { Loading, Problem, useLoad } from '../components.js';
import { time } from '../format.js';
import type { Evidence } from '../types.js';

export function EvidencePage({ id }: { id: string }) {
  const [r] = useLoad(() => get<Evidence>(`/v1/evidence/${enc(id)}`), [id]);
  return html`<h1>Evidence <code>${id}</code></h1>
    ${
      !r
        ? html`<${Loading} what="the evidence event" />`
        : !r.ok
          ? html`<${Problem} what="Evidence" r=${r} />`
          : html`${r.headers.get('x-evidence-index-state') && r.headers.get('x-evidence-index-state') !== 'live' ? html`<p class="notice degraded" role="status">The evidence index is ${r.headers.get('x-evidence-index-state')} (lag ${r.headers.get('x-evidence-index-lag')}).</p>` : null}
            <dl class="evidence">
              <div><dt>Result</dt><dd class=${r.body.validation.result === 'FAIL' ? 'bad' : ''}>${r.body.validation.result}</dd></div>
              <div><dt>Dataset</dt><dd>${r.body.dataset_urn ? html`<a href=${`#/datasets/${enc(r.body.dataset_urn)}`}>${r.body.dataset_urn}</a>` : '(unresolved)'}</dd></div>
              <div><dt>Observed</dt><dd>${time(r.body.timestamp)}</dd></div>
              <div><dt>Source</dt><dd><code>${r.body.source.raw_topic}</code> partition ${r.body.source.partition} offset ${r.body.source.offset}</dd></div>
              <div><dt>Producer</dt><dd>${r.body.producer.producer_id ?? 'unknown'} (${r.body.producer.identity_confidence ?? '?'})</dd></div>
              <div><dt>Failed gates</dt><dd>${r.body.validation.failed_gates.join(', ') || '–'}</dd></div>
              <div><dt>Reason codes</dt><dd>${r.body.validation.reason_codes.map((c, i) => html`${i ? ', ' : ''}<code>${c}</code>`)}</dd></div>
            </dl>
            <h2>Full event</h2>
            <pre class="json" tabindex="0" aria-label="The evidence event as JSON">${JSON.stringify(r.body, null, 2)}</pre>`
    }`;
}
