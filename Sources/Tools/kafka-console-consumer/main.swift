// Placeholder: replaced by the kafka-console-consumer implementation.
print("kafka-console-consumer: not implemented yet")
