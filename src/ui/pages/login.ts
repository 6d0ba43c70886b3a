/** Development login: paste a token (or open /ui/?token=<jwt>). OIDC would replace this page only. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';

export function LoginPage({ onToken, expired }: { onToken: (t: string) => void; expired: boolean }) {
  const [t, setT] = useState('');
  return html`<main id="main" class="login">
    <h1>Signal Factory ops console</h1>
    ${expired ? html`<p class="notice error" role="alert">The control plane refused the token (401): sign in again.</p>` : null}
    <form onSubmit=${(e: Event) => {
      e.preventDefault();
      if (t.trim()) onToken(t.trim());
    }}>
      <label for="token">Bearer token (JWT)</label>
      <textarea id="token" rows="4" value=${t} onInput=${(e: Event) => setT((e.target as HTMLTextAreaElement).value)}
        aria-describedby="token-help"></textarea>
      <p id="token-help" class="muted">Kept in this tab's session storage only. <code>signal-factory control-plane token</code> mints a development token; <code>/ui/?token=…</code> works too.</p>
      <button type="submit" class="primary">Sign in</button>
    </form>
  </main>`;
}
