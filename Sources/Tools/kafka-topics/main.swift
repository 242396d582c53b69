// Placeholder: replaced by the kafka-topics implementation.
print("kafka-topics: not implemented yet")
