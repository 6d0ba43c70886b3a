/** Global: safe mode (confirm + reason), and the platform's status as its endpoints report it. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { call, get } from '../api.js';
import { ConfirmDialog, Loading, Problem, useLoad } from '../components.js';
import { age, num, time } from '../format.js';
import type { GlobalOps } from '../types.js';

interface Readiness {
  status: string;
  details?: {
    policy_store?: string;
    evidence_index?: { state: string; lag: number | null; last_error: string | null; since?: string };
  };
}

interface Fleet {
  items: Array<{
    instance: string;
    last_seen_at: string;
    age_sec: number;
    principal: string;
    ready: boolean;
    reasons: string[];
    lag: number | null;
    partitions: number;
    snapshot_version: number;
  }>;
  window_sec: number;
}

export function GlobalPage() {
  return html`<h1>Global</h1><${SafeMode} /><${PlatformStatus} /><${FleetStatus} />`;
}

function SafeMode() {
  const [r, reload] = useLoad(() => get<GlobalOps>('/v1/ops/global'), []);
  const [confirming, setConfirming] = useState(false);
  if (!r) return html`<${Loading} what="global toggles" />`;
  if (!r.ok) return html`<${Problem} what="Global toggles" r=${r} />`;
  const on = r.body.safe_mode;
  const apply = async (reason: string) => {
    const x = await call<GlobalOps>('PUT', '/v1/ops/global', {
      body: { safe_mode: !on },
      headers: { 'if-match': `"${r.body.version}"`, 'x-audit-reason': encodeURIComponent(reason) },
    });
    if (!x.ok) return `${x.code}: ${x.message}`;
    reload();
    return null;
  };
  return html`<section aria-labelledby="safe-h">
    <h2 id="safe-h">Safe mode</h2>
    <p class=${on ? 'notice degraded' : ''} role="status">Safe mode is <strong>${on ? 'ON: enforcers only emit evidence, no actions anywhere' : 'off'}</strong>
      ${r.body.version > 0 ? ` (set by ${r.body.updated_by} at ${time(r.body.updated_at)})` : ''}</p>
    <button type="button" class=${on ? 'primary' : 'danger'} onClick=${() => setConfirming(true)}>${on ? 'Turn safe mode off…' : 'Turn safe mode on…'}</button>
    <${ConfirmDialog}
      open=${confirming}
      title=${on ? 'Turn safe mode off?' : 'Turn safe mode on?'}
      summary=${on ? 'Enforcers resume quarantine and republish actions per policy.' : 'Every enforcer stops quarantine and republish actions (evidence only) until this is turned off. Admins only.'}
      confirmLabel=${on ? 'Turn off' : 'Turn on'}
      onConfirm=${apply}
      onClose=${() => setConfirming(false)}
    />
  </section>`;
}

function PlatformStatus() {
  const [r] = useLoad(() => get<Readiness>('/readyz'), []);
  const ix = r?.ok ? r.body.details?.evidence_index : undefined;
  return html`<section aria-labelledby="cp-h">
    <h2 id="cp-h">Control plane</h2>
    ${
      !r
        ? html`<${Loading} what="readiness" />`
        : !r.ok
          ? html`<${Problem} what="Readiness" r=${r} />`
          : html`<dl class="health">
              <div><dt>Policy store</dt><dd>${r.body.details?.policy_store ?? r.body.status}</dd></div>
              <div class=${ix && ix.state !== 'live' ? 'bad' : ''}><dt>Evidence index</dt>
                <dd>${ix ? `${ix.state}, lag ${ix.lag === null ? 'unknown' : num(ix.lag)}${ix.last_error ? `: ${ix.last_error}` : ''}` : 'not reported'}</dd></div>
            </dl>`
    }
  </section>`;
}

function FleetStatus() {
  const [r] = useLoad(() => get<Fleet>('/v1/fleet'), []);
  return html`<section aria-labelledby="fleet-h">
    <h2 id="fleet-h">Enforcer fleet</h2>
    ${
      !r
        ? html`<${Loading} what="fleet status" />`
        : !r.ok
          ? html`<${Problem} what="Enforcer fleet status" r=${r} />`
          : r.body.items.length === 0
            ? html`<p class="notice degraded" role="status">No enforcer has polled this control plane recently.</p>`
            : html`<table class="fleet"><caption>Enforcers that polled this control plane in the last ${r.body.window_sec} s (not ready first)</caption>
                <thead><tr><th scope="col">Instance</th><th scope="col">Ready</th><th scope="col">Consumer lag</th><th scope="col">Partitions</th><th scope="col">Policy snapshot</th><th scope="col">Last poll</th></tr></thead>
                <tbody>${r.body.items.map(
                  (e) => html`<tr class=${e.ready ? '' : 'unhealthy'} data-instance=${e.instance}>
                    <th scope="row">${e.instance}</th>
                    <td class=${e.ready ? '' : 'bad'}>${e.ready ? 'ready' : `NOT ready: ${e.reasons.join('; ')}`}</td>
                    <td>${e.lag === null ? 'unknown' : num(e.lag)}</td><td>${e.partitions}</td><td>v${e.snapshot_version}</td><td>${age(e.age_sec)} ago</td>
                  </tr>`,
                )}</tbody></table>`
    }
  </section>`;
}
