/** The audit log, newest first: filter by target on the server, by action and actor within the page. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { enc, get, qs } from '../api.js';
import { Loading, Problem, useLoad } from '../components.js';
import { time } from '../format.js';
import type { AuditEntry, Page } from '../types.js';

export function AuditPage() {
  const [target, setTarget] = useState('');
  const [draft, setDraft] = useState({ target: '', action: '', actor: '' });
  const [local, setLocal] = useState({ action: '', actor: '' });
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const [r] = useLoad(() => get<Page<AuditEntry>>(`/v1/audit${qs({ target, cursor, limit: 100 })}`), [target, cursor]);
  const shown = r?.ok
    ? r.body.items.filter(
        (e) =>
          (!local.action || e.action.startsWith(local.action)) &&
          (!local.actor || e.actor.toLowerCase().includes(local.actor.toLowerCase())),
      )
    : [];
  const input = (name: 'target' | 'action' | 'actor', label: string) =>
    html`<label>${label}<input name=${name} value=${draft[name]} onInput=${(e: Event) => setDraft({ ...draft, [name]: (e.target as HTMLInputElement).value })} /></label>`;
  return html`<h1>Audit log</h1>
    <form class="filters" role="search" aria-label="Filter the audit log" onSubmit=${(e: Event) => {
      e.preventDefault();
      setCursors([]);
      setTarget(draft.target.trim());
      setLocal({ action: draft.action.trim(), actor: draft.actor.trim() });
    }}>
      ${input('target', 'Target (exact: dataset URN, contract id or global)')} ${input('action', 'Action starts with')} ${input('actor', 'Actor contains')}
      <button type="submit" class="primary">Filter</button>
    </form>
    ${
      !r
        ? html`<${Loading} what="the audit log" />`
        : !r.ok
          ? html`<${Problem} what="Audit log" r=${r} />`
          : html`<table class="audit">
              <caption>${shown.length} of ${r.body.items.length} entries on this page${local.action || local.actor ? ' (action/actor filters apply to this page)' : ''}</caption>
              <thead><tr><th scope="col">Seq</th><th scope="col">At</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Versions</th><th scope="col">Reason</th></tr></thead>
              <tbody>${shown.map(
                (e) => html`<tr data-seq=${e.seq}>
                  <td>${e.seq}</td><td>${time(e.at)}</td><td>${e.actor}</td><td><code>${e.action}</code></td>
                  <td>${e.target.startsWith('urn:') ? html`<a href=${`#/datasets/${enc(e.target)}`}>${e.target}</a>` : e.target}</td>
                  <td>${e.before_version ?? '–'} → ${e.after_version ?? '–'}</td><td>${e.reason ?? ''}</td>
                </tr>`,
              )}</tbody>
            </table>
            <nav class="pager" aria-label="Audit pages">
              <button type="button" disabled=${cursors.length === 0} onClick=${() => setCursors(cursors.slice(0, -1))}>Newer</button>
              <button type="button" disabled=${!r.body.next_cursor} onClick=${() => r.body.next_cursor && setCursors([...cursors, r.body.next_cursor])}>Older</button>
            </nav>`
    }`;
}
