import { expect, test } from 'bun:test'
import { mergeExpositions } from '../../src/metrics/merge'

const worker = (
  requests: number,
  inflight: number,
  cooldown: number,
  rss: number,
) => `# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes ${rss}

# HELP nodejs_heap_space_size_total_bytes Heap.
# TYPE nodejs_heap_space_size_total_bytes gauge
nodejs_heap_space_size_total_bytes{space="new"} 10

# HELP crabllm_requests_total Model requests answered.
# TYPE crabllm_requests_total counter
crabllm_requests_total{route="chat",model="a b",provider="p",status_class="2xx"} ${requests}

# HELP crabllm_request_duration_seconds Durations.
# TYPE crabllm_request_duration_seconds histogram
crabllm_request_duration_seconds_bucket{route="chat",le="0.5"} ${requests}
crabllm_request_duration_seconds_bucket{route="chat",le="+Inf"} ${requests}
crabllm_request_duration_seconds_sum{route="chat"} 0.25
crabllm_request_duration_seconds_count{route="chat"} ${requests}

# HELP crabllm_in_flight_requests In flight.
# TYPE crabllm_in_flight_requests gauge
crabllm_in_flight_requests ${inflight}

# HELP crabllm_provider_cooldown Cooldown.
# TYPE crabllm_provider_cooldown gauge
crabllm_provider_cooldown{provider="p"} ${cooldown}
`

test("workers' expositions merge into one: the gateway's series add up, the runtime's keep their worker", () => {
  const merged = mergeExpositions([
    { worker: 1, text: worker(3, 1, 0, 100) },
    { worker: 2, text: worker(4, 2, 1, 200) },
  ])
  expect(merged).toBe(`# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes{worker="1"} 100
process_resident_memory_bytes{worker="2"} 200

# HELP nodejs_heap_space_size_total_bytes Heap.
# TYPE nodejs_heap_space_size_total_bytes gauge
nodejs_heap_space_size_total_bytes{worker="1",space="new"} 10
nodejs_heap_space_size_total_bytes{worker="2",space="new"} 10

# HELP crabllm_requests_total Model requests answered.
# TYPE crabllm_requests_total counter
crabllm_requests_total{route="chat",model="a b",provider="p",status_class="2xx"} 7

# HELP crabllm_request_duration_seconds Durations.
# TYPE crabllm_request_duration_seconds histogram
crabllm_request_duration_seconds_bucket{route="chat",le="0.5"} 7
crabllm_request_duration_seconds_bucket{route="chat",le="+Inf"} 7
crabllm_request_duration_seconds_sum{route="chat"} 0.5
crabllm_request_duration_seconds_count{route="chat"} 7

# HELP crabllm_in_flight_requests In flight.
# TYPE crabllm_in_flight_requests gauge
crabllm_in_flight_requests 3

# HELP crabllm_provider_cooldown Cooldown.
# TYPE crabllm_provider_cooldown gauge
crabllm_provider_cooldown{provider="p"} 1
`)
})

test('a series only one worker has is kept; an empty or missing exposition adds nothing', () => {
  const one = `# HELP crabllm_fallbacks_total F.\n# TYPE crabllm_fallbacks_total counter\ncrabllm_fallbacks_total{model="m"} 2\n`
  const merged = mergeExpositions([
    { worker: 1, text: one },
    { worker: 2, text: '' },
  ])
  expect(merged).toBe(one)
})
