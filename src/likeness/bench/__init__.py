"""Speed and memory benchmarks (`likeness bench`)."""
