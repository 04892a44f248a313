"""The mock servers benchmark (run by bench/bench_mocks.py): data set, servers, load generator,
throughput and decision-latency parts, profiling and reporting."""
