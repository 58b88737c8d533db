// Secrets in admin API answers: a secret shows as its first 3 and last 4 characters ("sk-…wxyz"), or
// as "****" when it is too short for that to hide most of it. Upstream messages the admin API relays
// are scrubbed the same way, in case an upstream echoes the credential it was sent.

/** Secrets shorter than this show as "****". */
const SHOWN_FROM = 12

export function maskSecret(secret: string): string {
  return secret.length < SHOWN_FROM ? '****' : `${secret.slice(0, 3)}…${secret.slice(-4)}`
}

/** `text` with every occurrence of each secret replaced by its masked form. */
export function scrubSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text
  for (const secret of secrets) if (secret && secret.length >= 4) out = out.replaceAll(secret, maskSecret(secret))
  return out
}
