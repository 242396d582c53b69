// Benchmarks are added once the record and compression layers exist.
print("no benchmarks yet")
