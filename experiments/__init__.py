"""Running scenarios: the command line, the runner, results on disk, reports and benchmarks."""
