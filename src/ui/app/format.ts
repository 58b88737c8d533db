// How numbers, money, durations and times read on the dashboard (the browser's locale).
const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 })
const compactFormat = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 })

export function count(n: number): string {
  return integer.format(n)
}

/** 1.2K, 3.4M: for chart axes and cards. */
export function compact(n: number): string {
  return Math.abs(n) < 1000 ? integer.format(n) : compactFormat.format(n)
}

/** $0.0123 below a cent, $1.23 above. */
export function usd(n: number): string {
  if (n === 0) return '$0'
  const digits = Math.abs(n) < 0.01 ? 4 : 2
  return `$${n.toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits })}`
}

export function ms(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–'
  if (n === 0) return '0 ms'
  if (n < 1) return `${n.toFixed(2)} ms`
  if (n < 1000) return `${Math.round(n)} ms`
  return `${(n / 1000).toFixed(n < 10_000 ? 2 : 1)} s`
}

export function percent(part: number, whole: number): string {
  if (whole === 0) return '–'
  const p = (part / whole) * 100
  return `${p < 10 && p > 0 ? p.toFixed(1) : Math.round(p)}%`
}

/** 14:05 for a time today, "Jun 3, 14:05" otherwise. */
export function clock(time: number | string, seconds = false): string {
  const date = new Date(time)
  const sameDay = date.toDateString() === new Date().toDateString()
  const hm: Intl.DateTimeFormatOptions = {
    hour: '2-digit',
    minute: '2-digit',
    ...(seconds ? { second: '2-digit' } : {}),
  }
  return date.toLocaleString(undefined, sameDay ? hm : { month: 'short', day: 'numeric', ...hm })
}

/** 14:05 (no date): chart axes, where the window says which day. */
export function hourMinute(time: number): string {
  return new Date(time).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
}

export function dateTime(time: number | string): string {
  return new Date(time).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })
}

/** An ISO time as the value of an <input type="datetime-local"> (local time, minutes). */
export function toLocalInput(iso: string | number | undefined): string {
  if (iso === undefined) return ''
  const d = new Date(iso)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** An <input type="datetime-local"> value as an ISO time with its zone (what the API wants). */
export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined
  const ms = new Date(value).getTime()
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString()
}

/** "a, b, c" → ["a", "b", "c"] (blank parts dropped). */
export function list(value: string): string[] {
  return value
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean)
}
