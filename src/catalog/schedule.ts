// A model's price at a moment, by genai-prices' rule for price schedules: the last scheduled price whose
// condition holds wins (from a date on, or within a daily UTC window), else the base price. So a price
// change announced for a date applies from that date without a new binary, and DeepSeek's peak and
// off-peak hours are priced as billed.
import type { ModelData, PriceData, ScheduledPrice } from './data'

export function priceAt(model: ModelData, time: number): PriceData | undefined {
  const schedule = model.schedule
  if (!model.price || !schedule) return model.price
  for (let i = schedule.length - 1; i >= 0; i--) if (applies(schedule[i]!, time)) return schedule[i]!.price
  return model.price
}

// --- internal ---

const DAY = 86_400

function applies(entry: ScheduledPrice, time: number): boolean {
  if (entry.from !== undefined) return time >= Date.parse(`${entry.from}T00:00:00Z`)
  if (entry.daily === undefined) return false
  const start = secondsOfDay(entry.daily[0])
  const end = secondsOfDay(entry.daily[1])
  if (start === undefined || end === undefined) return false
  const now = (((time / 1000) % DAY) + DAY) % DAY
  return end < start ? now >= start || now < end : now >= start && now < end
}

/** HH:MM:SS[.fff](Z|±HH:MM) as seconds since midnight UTC; undefined when malformed. */
function secondsOfDay(text: string): number | undefined {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/.exec(text)
  if (!m) return undefined
  const local = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(`0.${m[4] ?? '0'}`)
  const offset = m[5] === 'Z' ? 0 : (m[6] === '+' ? 1 : -1) * (Number(m[7]) * 3600 + Number(m[8]) * 60)
  return (((local - offset) % DAY) + DAY) % DAY
}
