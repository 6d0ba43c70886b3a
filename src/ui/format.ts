/** Display helpers: one place for how numbers, ages and times read in the console. */
export const pct = (r: number | null | undefined) => (r === null || r === undefined ? '–' : `${(r * 100).toFixed(1)}%`);

export function age(sec: number | null | undefined): string {
  if (sec === null || sec === undefined) return '–';
  if (sec < 90) return `${Math.round(sec)} s`;
  if (sec < 5400) return `${Math.round(sec / 60)} min`;
  if (sec < 172800) return `${(sec / 3600).toFixed(1)} h`;
  return `${Math.round(sec / 86400)} d`;
}

export const time = (iso: string | null | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–');

export const num = (n: number | null | undefined) => (n === null || n === undefined ? '–' : n.toLocaleString('en'));

/** A long id shortened for a link text (the full id is in its accessible name and its target). */
export const shortId = (id: string) => (id.length <= 24 ? id : `${id.slice(0, 12)}…${id.slice(-8)}`);
