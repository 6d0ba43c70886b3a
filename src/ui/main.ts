/** The console's shell: login, navigation, and a hash router (no server routes beyond /ui/). */
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { html } from 'htm/preact';
import { render, type VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { whenUnauthenticated } from './api.js';
import { adoptTokenFromUrl, claims, sessionTokens } from './auth.js';
import { AuditPage } from './pages/audit.js';
import { DatasetPage } from './pages/dataset.js';
import { DatasetsPage } from './pages/datasets.js';
import { EvidencePage } from './pages/evidence.js';
import { GlobalPage } from './pages/global.js';
import { IncidentsPage } from './pages/incidents.js';
import { LoginPage } from './pages/login.js';

adoptTokenFromUrl(sessionTokens);

const NAV: Array<[string, string]> = [
  ['#/datasets', 'Datasets'],
  ['#/incidents', 'Incidents'],
  ['#/global', 'Global'],
  ['#/audit', 'Audit log'],
];

function page(route: string): { title: string; view: VNode } {
  const [, section, rest] = /^#\/([^/]*)\/?(.*)$/.exec(route) ?? [];
  const arg = rest ? decodeURIComponent(rest) : '';
  switch (section) {
    case 'datasets':
      return arg
        ? { title: arg, view: html`<${DatasetPage} urn=${arg} />` }
        : { title: 'Datasets', view: html`<${DatasetsPage} />` };
    case 'evidence':
      return { title: `Evidence ${arg}`, view: html`<${EvidencePage} id=${arg} />` };
    case 'incidents':
      return { title: 'Incidents', view: html`<${IncidentsPage} />` };
    case 'global':
      return { title: 'Global', view: html`<${GlobalPage} />` };
    case 'audit':
      return { title: 'Audit log', view: html`<${AuditPage} />` };
    default:
      return { title: 'Datasets', view: html`<${DatasetsPage} />` };
  }
}

function App() {
  const [token, setToken] = useState(sessionTokens.token());
  const [route, setRoute] = useState(location.hash || '#/datasets');
  const [expired, setExpired] = useState(false);
  useEffect(() => {
    const on = () => setRoute(location.hash || '#/datasets');
    addEventListener('hashchange', on);
    whenUnauthenticated(() => setExpired(true));
    return () => removeEventListener('hashchange', on);
  }, []);
  if (!token || expired)
    return html`<${LoginPage}
      expired=${expired}
      onToken=${(t: string) => {
        sessionTokens.set(t);
        setExpired(false);
        setToken(t);
      }}
    />`;
  const { title, view } = page(route);
  document.title = `${title} · Signal Factory`;
  const who = claims(token);
  return html`<a class="skip" href="#main">Skip to content</a>
    <header>
      <span class="brand">Signal Factory</span>
      <nav aria-label="Main">
        <ul>
          ${NAV.map(
            ([href, label]) =>
              html`<li><a href=${href} aria-current=${route.startsWith(href) ? 'page' : undefined}>${label}</a></li>`,
          )}
        </ul>
      </nav>
      <span class="who">${who.sub ?? 'unknown'}${who.roles?.includes('admin') ? ' (admin)' : ''}</span>
      <button type="button" onClick=${() => {
        sessionTokens.clear();
        setToken(null);
      }}>Sign out</button>
    </header>
    <main id="main" tabindex="-1">${view}</main>`;
}

const root = document.getElementById('app')!;
root.textContent = ''; // the static "Loading…" placeholder: render() does not replace it
render(html`<${App} />`, root);
