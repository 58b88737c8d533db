// Secrets for keys and admin tokens: `sk-` + 48 base62 characters from the CSPRNG (≈285 bits).
// Rejection sampling keeps every character equally likely.

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const LENGTH = 48

export function generateKey(prefix = 'sk-'): string {
  let out = prefix
  const bytes = new Uint8Array(64)
  while (out.length < prefix.length + LENGTH) {
    crypto.getRandomValues(bytes)
    for (const b of bytes) {
      if (b >= 248) continue // 248 = 62 * 4: keep the distribution uniform
      out += ALPHABET[b % 62]
      if (out.length === prefix.length + LENGTH) break
    }
  }
  return out
}
