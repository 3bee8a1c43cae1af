-- wrk: print requests/s and latency percentiles (ms) as one machine-readable line.
done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format("BENCH rps=%.1f p50=%.1f p95=%.1f p99=%.1f n=%d errors=%d non2xx=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
