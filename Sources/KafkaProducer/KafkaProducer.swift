// The producer module: partitioners (Partitioning/), and — as the producer issue progresses — the
// record accumulator, the per-broker sender and the idempotent producer.
