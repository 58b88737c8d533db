// The dashboard at /ui: a sign-in form (the admin token, kept in sessionStorage), then four pages
// (overview, keys, providers, logs) that read and change the gateway through its admin API only.
import './style.css'
import { render } from 'preact'
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { type ApiError, checkToken, createApi, loginProblem } from './api'
import { ApiContext } from './hooks'
import { KeysPage } from './pages/keys'
import { LogsPage } from './pages/logs'
import { OverviewPage } from './pages/overview'
import { ProvidersPage } from './pages/providers'
import { PAGES, type PageId, useRoute } from './router'
import { savedToken, saveToken } from './session'

function App() {
  const [token, setToken] = useState<string | null>(savedToken)
  const [notice, setNotice] = useState('')
  const signOut = (message = '') => {
    saveToken(null)
    setToken(null)
    setNotice(message)
  }
  const api = useMemo(
    () =>
      token
        ? createApi(token, (_: ApiError) =>
            signOut('The gateway no longer accepts this token (it may have changed). Sign in again.'),
          )
        : null,
    [token],
  )
  if (!token || !api) {
    return (
      <Login
        notice={notice}
        onSignedIn={(t) => {
          saveToken(t)
          setNotice('')
          setToken(t)
        }}
      />
    )
  }
  return (
    <ApiContext.Provider value={api}>
      <Shell onSignOut={() => signOut('Signed out.')} />
    </ApiContext.Provider>
  )
}

function Login({ notice, onSignedIn }: { notice: string; onSignedIn: (token: string) => void }) {
  const [problem, setProblem] = useState('')
  const [busy, setBusy] = useState(false)
  const input = useRef<HTMLInputElement>(null)
  useEffect(() => {
    document.title = 'Sign in · crabllm'
    input.current?.focus()
  }, [])
  const submit = async (event: Event) => {
    event.preventDefault()
    const token = input.current?.value.trim() ?? ''
    if (!token) {
      setProblem('Enter the admin token.')
      input.current?.focus()
      return
    }
    setBusy(true)
    setProblem('')
    try {
      await checkToken(token)
      onSignedIn(token)
    } catch (err) {
      setProblem(loginProblem(err))
      setBusy(false)
      input.current?.focus()
      input.current?.select()
    }
  }
  return (
    <main class="login" id="main">
      <form onSubmit={submit} class="login-card" aria-labelledby="login-title">
        <h1 id="login-title">
          <span class="brand-mark" aria-hidden="true" />
          crabllm
        </h1>
        <p class="muted">
          Sign in with the gateway's admin token (admin_token in its config file). It stays in this tab only.
        </p>
        {notice ? (
          <p class="notice info" role="status">
            {notice}
          </p>
        ) : null}
        <label for="token">Admin token</label>
        <input
          ref={input}
          id="token"
          name="token"
          type="password"
          autoComplete="current-password"
          spellcheck={false}
          aria-invalid={problem ? 'true' : undefined}
          aria-describedby={problem ? 'login-problem' : undefined}
        />
        <p id="login-problem" class="login-problem" role="alert">
          {problem}
        </p>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const page = useRoute()
  const title = PAGES.find((p) => p.id === page)!.title
  const heading = useRef<HTMLHeadingElement>(null)
  const first = useRef(true)
  useEffect(() => {
    document.title = `${title} · crabllm`
    // After navigating, focus goes to the new page's heading (screen readers announce it).
    if (!first.current) heading.current?.focus()
    first.current = false
  }, [page])
  return (
    <>
      {/* biome-ignore lint/a11y/useValidAnchor: a skip link: its href names the target for the browser, the handler moves focus */}
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault()
          heading.current?.focus()
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <span class="brand">
          <span class="brand-mark" aria-hidden="true" />
          crabllm
        </span>
        <nav aria-label="Dashboard">
          <ul>
            {PAGES.map((p) => (
              <li key={p.id}>
                <a href={`#/${p.id}`} aria-current={p.id === page ? 'page' : undefined}>
                  {p.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" class="signout" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main">
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        <Page id={page} />
      </main>
    </>
  )
}

function Page({ id }: { id: PageId }) {
  switch (id) {
    case 'keys':
      return <KeysPage />
    case 'providers':
      return <ProvidersPage />
    case 'logs':
      return <LogsPage />
    default:
      return <OverviewPage />
  }
}

render(<App />, document.getElementById('app')!)
