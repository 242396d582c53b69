// Placeholder: replaced by the kafka-consumer-groups implementation.
print("kafka-consumer-groups: not implemented yet")
