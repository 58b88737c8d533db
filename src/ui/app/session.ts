// The admin token for this browser tab: kept in sessionStorage (gone when the tab closes, never sent
// anywhere but this gateway's admin API), so that a reload does not sign the operator out.
const KEY = 'crabllm.admin_token'

export function savedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY)
  } catch {
    return null
  }
}

export function saveToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(KEY)
    else sessionStorage.setItem(KEY, token)
  } catch {
    // Storage refused (private mode quotas): the session lasts until the page reloads.
  }
}
