// Connecting to a cluster that uses TLS, SASL or both: a Java `client.properties` file, the same settings as
// properties, or typed configuration. The producer, consumer and admin client take the same settings.

// snippet.hide
import Kafka

let secret = "alice-secret"
// snippet.show

// snippet.properties-file
// client.properties: bootstrap.servers=…, security.protocol=SASL_SSL, sasl.mechanism=SCRAM-SHA-512, …
let properties = try PropertiesFile.load(path: "/etc/kafka/client.properties")
let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(properties: properties))
let admin = try KafkaAdminClient(properties: properties)
// snippet.mtls
let mutualTLS = try KafkaConsumerConfiguration(properties: [
    "bootstrap.servers": "broker1.example.com:9093",
    "group.id": "billing",
    "security.protocol": "SSL",
    "ssl.truststore.type": "PEM",
    "ssl.truststore.location": "/etc/kafka/ca.pem",  // the CA that signed the brokers' certificates
    "ssl.keystore.type": "PEM",
    "ssl.keystore.location": "/etc/kafka/client.pem",  // the client's key and certificate chain, for mutual TLS
])
// snippet.scram
let scram = try KafkaProducerConfiguration(properties: [
    "bootstrap.servers": "broker1.example.com:9093",
    "security.protocol": "SASL_SSL",
    "sasl.mechanism": "SCRAM-SHA-512",
    "sasl.jaas.config": """
    org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="\(secret)";
    """,
    "ssl.ca.location": "/etc/kafka/ca.pem",
])
// snippet.plain
let plain = try KafkaProducerConfiguration(properties: [
    "bootstrap.servers": "broker1.example.com:9093",
    "security.protocol": "SASL_SSL",  // PLAIN sends the password: use it only over TLS
    "sasl.mechanisms": "PLAIN",
    "sasl.username": "alice",
    "sasl.password": secret,
])
// snippet.typed
var client = KafkaClientConfiguration(bootstrapServers: [BrokerAddress(host: "broker1.example.com", port: 9093)])
client.securityProtocol = .saslSSL
client.tls.caFile = "/etc/kafka/ca.pem"
client.tls.certificateFile = "/etc/kafka/client.pem"  // or certificatePEM
client.tls.keyFile = "/etc/kafka/client.key"  // or keyPEM, with keyPassword for an encrypted key
client.sasl = SASLCredentials(mechanism: .scramSHA512, username: "alice", password: secret)
let typedProducer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client))
let typedAdmin = try KafkaAdminClient(configuration: client)
// snippet.failures
do {
    try await typedProducer.send(ProducerRecord(topic: "orders", key: "order-42", value: "{}"))
} catch {
    // The idempotent producer meets an authentication or TLS failure when it asks for its producer id and
    // becomes unusable (.fatal, the message carries the network error); the consumer throws KafkaNetworkError.
    print(error.kind, error.message)
}
// snippet.end
_ = (mutualTLS, scram, plain)
await producer.close()
await admin.close()
await typedProducer.close()
await typedAdmin.close()
