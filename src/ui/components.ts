/** Shared pieces: loading and degraded notices, the confirm-with-reason dialog, charts. */
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import type { Failed, Result } from './api.js';

/** Loads on mount and whenever `deps` change; `reload` refetches. */
export function useLoad<T>(load: () => Promise<Result<T>>, deps: unknown[]): [Result<T> | undefined, () => void] {
  const [r, setR] = useState<Result<T> | undefined>(undefined);
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setR(undefined);
    load().then((x) => live && setR(x));
    return () => {
      live = false;
    };
  }, [...deps, n]);
  return [r, () => setN((x) => x + 1)];
}

/** Says honestly why a part of a page is empty: not deployed, down, refused. */
export function Problem({ what, r }: { what: string; r: Failed }): VNode {
  if (r.missing)
    return html`<p class="notice" role="status">${what}: not available on this control plane (no such endpoint).</p>`;
  const down = r.status === 503 || r.status === 0;
  return html`<p class=${down ? 'notice degraded' : 'notice error'} role=${down ? 'status' : 'alert'}>
    ${what}: ${down ? 'unavailable' : 'failed'} (${r.status || 'network'} ${r.code}): ${r.message}
  </p>`;
}

export const Loading = ({ what }: { what: string }) => html`<p class="loading" aria-busy="true">Loading ${what}…</p>`;

/**
 * A change that needs a confirmation and, unless `askReason` is false, a reason (sent as
 * X-Audit-Reason, kept in the audit entry). Uses the native <dialog>: focus is trapped and Escape cancels.
 */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  summary: VNode | string;
  confirmLabel: string;
  onConfirm: (reason: string) => Promise<string | null>;
  /** False where the API keeps no reason (an incident acknowledgement records who and when). */
  askReason?: boolean;
  onClose: () => void;
}): VNode {
  const ref = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) {
      setReason('');
      setError(null);
      d.showModal();
    }
    if (!props.open && d.open) d.close();
  }, [props.open]);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (props.askReason !== false && reason.trim() === '') {
      setError('A reason is required: it is kept in the audit log.');
      return;
    }
    setBusy(true);
    const err = await props.onConfirm(reason.trim());
    setBusy(false);
    if (err) setError(err);
    else props.onClose();
  };
  return html`<dialog ref=${ref} aria-labelledby="confirm-title" onClose=${props.onClose}>
    <form onSubmit=${submit}>
      <h2 id="confirm-title">${props.title}</h2>
      <div class="summary">${props.summary}</div>
      ${
        props.askReason === false
          ? null
          : html`<label for="confirm-reason">Reason (kept in the audit log)</label>
            <textarea id="confirm-reason" aria-required="true" rows="3" maxlength="500" value=${reason}
              onInput=${(e: Event) => setReason((e.target as HTMLTextAreaElement).value)}></textarea>`
      }
      ${error ? html`<p class="notice error" role="alert">${error}</p>` : null}
      <div class="buttons">
        <button type="button" onClick=${props.onClose} disabled=${busy}>Cancel</button>
        <button type="submit" class="primary" disabled=${busy}>${props.confirmLabel}</button>
      </div>
    </form>
  </dialog>`;
}

/** A tiny SVG line for a table cell; the label carries the figures for screen readers. */
export function Sparkline({ values, label }: { values: Array<number | null>; label: string }): VNode {
  const pts = values
    .map((v, i) => (v === null ? null : `${(i * 100) / Math.max(1, values.length - 1)},${(1 - v) * 20}`))
    .filter((p) => p !== null);
  if (pts.length === 0) return html`<span class="muted" aria-label=${label}>no data</span>`;
  return html`<svg class="spark" viewBox="-2 -2 104 24" role="img" aria-label=${label}>
    <polyline points=${pts.join(' ')} fill="none" stroke="currentColor" stroke-width="1.5" />
  </svg>`;
}

/** One uPlot time series chart (x in unix seconds). */
export function TimeChart(props: {
  title: string;
  x: number[];
  series: Array<{ label: string; values: Array<number | null>; color: string }>;
}): VNode {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!ref.current || props.x.length === 0) return;
    const plot = new uPlot(
      {
        width: Math.min(560, ref.current.clientWidth || 560),
        height: 180,
        series: [
          {},
          ...props.series.map((s) => ({ label: s.label, stroke: s.color, width: 2, points: { show: true, size: 5 } })),
        ],
        axes: [{ stroke: '#333' }, { stroke: '#333' }],
      },
      [props.x, ...props.series.map((s) => s.values)] as uPlot.AlignedData,
      ref.current,
    );
    return () => plot.destroy();
  }, [props.x, props.series]);
  return html`<figure class="chart">
    <figcaption>${props.title}</figcaption>
    ${props.x.length === 0 ? html`<p class="muted">No indexed evidence in this window.</p>` : html`<div ref=${ref}></div>`}
  </figure>`;
}
