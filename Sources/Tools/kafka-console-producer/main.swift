// Placeholder: replaced by the kafka-console-producer implementation.
print("kafka-console-producer: not implemented yet")
