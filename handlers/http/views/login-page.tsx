// The login form: the reader pastes READ_TOKEN once; the Worker keeps it in an HttpOnly cookie.
export function LoginForm(props: {
  error: string | null;
  unconfigured: boolean /** the page to come back to (returnPath) */;
  next: string;
}) {
  return (
    <main>
      <form class="login" method="post" action="/login">
        <h1>budget-guardrail</h1>
        <p class="muted small">Paste the read token (the READ_TOKEN secret) to see the status page.</p>
        {props.unconfigured && (
          <p class="problems" data-error="unconfigured">
            READ_TOKEN is not set on this Worker: run <code>wrangler secret put READ_TOKEN</code>, or set <code>status.public: true</code>{" "}
            in the policy.
          </p>
        )}
        {props.error && (
          <p class="problems" data-error="login">
            {props.error}
          </p>
        )}
        <label for="token" class="small">
          read token
        </label>
        <input id="token" name="token" type="password" autocomplete="current-password" required />
        {props.next !== "/" && <input type="hidden" name="next" value={props.next} />}
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
