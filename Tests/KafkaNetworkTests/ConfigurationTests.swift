import Foundation
import Testing

@testable import KafkaNetwork

@Suite(.timeLimit(.minutes(5))) struct ConfigurationTests {
    static let plainJAAS =
        #"org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3cret";"#

    /// One valid value for every known property.
    static let sampleValues: [String: String] = [
        "bootstrap.servers": "a:9092, b:9093", "client.id": "orders", "client.software.name": "my-app",
        "client.software.version": "2.1.0-rc1", "request.timeout.ms": "40000",
        "socket.connection.setup.timeout.ms": "5000", "socket.connection.setup.timeout.max.ms": "60000",
        "reconnect.backoff.ms": "20", "reconnect.backoff.max.ms": "2000", "retry.backoff.ms": "250",
        "retry.backoff.max.ms": "3000", "retries": "7", "metadata.max.age.ms": "60000",
        "max.in.flight.requests.per.connection": "3", "receive.message.max.bytes": "2048",
        "connections.max.idle.ms": "0", "security.protocol": "sasl_ssl", "ssl.ca.location": "/etc/ca.pem",
        "ssl.truststore.location": "/etc/ca.pem", "ssl.truststore.type": "PEM", "ssl.truststore.certificates": "",
        "ssl.truststore.password": "", "ssl.certificate.location": "", "ssl.key.location": "",
        "ssl.key.password": "keypass", "ssl.keystore.type": "pem", "ssl.keystore.location": "/etc/client.pem",
        "ssl.keystore.certificate.chain": "", "ssl.keystore.key": "", "ssl.keystore.password": "",
        "ssl.endpoint.identification.algorithm": "", "enable.ssl.certificate.verification": "FALSE",
        "sasl.mechanism": "PLAIN", "sasl.mechanisms": "plain", "sasl.username": "alice", "sasl.password": "s3cret",
        "sasl.login.callback.handler.class":
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
        "sasl.oauthbearer.token.endpoint.url": "https://idp.example.com/token",
        "sasl.oauthbearer.scope.claim.name": "scp", "sasl.oauthbearer.sub.claim.name": "client_id",
        "sasl.login.connect.timeout.ms": "2000", "sasl.login.read.timeout.ms": "3000",
        "sasl.jaas.config": plainJAAS, "client.dns.lookup": "use_all_dns_ips", "send.buffer.bytes": "131072",
        "receive.buffer.bytes": "65536", "socket.send.buffer.bytes": "0", "socket.receive.buffer.bytes": "0",
        "metric.reporters": "", "metrics.num.samples": "2", "metrics.recording.level": "INFO",
        "metrics.sample.window.ms": "30000", "auto.include.jmx.reporter": "true", "enable.metrics.push": "false",
    ]

    static func configuration(_ extra: [String: String] = [:]) throws -> KafkaClientConfiguration {
        try KafkaClientConfiguration(properties: ["bootstrap.servers": "localhost:9092"].merging(extra) { $1 })
    }

    static func error(_ extra: [String: String]) throws -> KafkaConfigurationError {
        try #require(throws: KafkaConfigurationError.self) { try configuration(extra) }
    }

    @Test func defaultsAreTheJavaClients() throws {
        let configuration = KafkaClientConfiguration(bootstrapServers: [BrokerAddress(host: "k", port: 9092)])
        #expect(configuration.clientID == "swift-kafka")
        #expect(configuration.requestTimeout == .milliseconds(30000))
        #expect(configuration.connectionSetupTimeout == .milliseconds(10000))
        #expect(configuration.connectionSetupTimeoutMax == .milliseconds(30000))
        #expect(configuration.reconnectBackoff == .milliseconds(50))
        #expect(configuration.reconnectBackoffMax == .milliseconds(1000))
        #expect(configuration.retryBackoff == .milliseconds(100))
        #expect(configuration.retryBackoffMax == .milliseconds(1000))
        #expect(configuration.retries == 2_147_483_647)
        #expect(configuration.metadataMaxAge == .milliseconds(300_000))
        #expect(configuration.maxInFlightRequestsPerConnection == 5)
        #expect(configuration.maximumResponseSize == 104_857_600)
        #expect(configuration.connectionsMaxIdle == .milliseconds(540_000))
        #expect(configuration.securityProtocol == .plaintext)
        #expect(configuration.tls == KafkaTLSConfiguration())
        #expect(configuration.tls.verifyHostname && configuration.tls.verifyCertificate)
        #expect(configuration.sasl == nil)
        try configuration.validate()
        // The same defaults when built from properties.
        let fromProperties = try Self.configuration()
        #expect(
            fromProperties.description
                == KafkaClientConfiguration(
                    bootstrapServers: [BrokerAddress(host: "localhost", port: 9092)]).description)
    }

    @Test func everyPropertyIsParsed() throws {
        var values = Self.sampleValues
        values["ssl.ca.location"] = nil  // ssl.truststore.location sets the same field
        let configuration = try KafkaClientConfiguration(properties: values)
        #expect(
            configuration.bootstrapServers == [
                BrokerAddress(host: "a", port: 9092), BrokerAddress(host: "b", port: 9093),
            ])
        #expect(configuration.clientID == "orders")
        #expect(configuration.clientSoftwareName == "my-app")
        #expect(configuration.clientSoftwareVersion == "2.1.0-rc1")
        #expect(configuration.requestTimeout == .seconds(40))
        #expect(configuration.connectionSetupTimeout == .seconds(5))
        #expect(configuration.connectionSetupTimeoutMax == .seconds(60))
        #expect(configuration.reconnectBackoff == .milliseconds(20))
        #expect(configuration.reconnectBackoffMax == .seconds(2))
        #expect(configuration.retryBackoff == .milliseconds(250))
        #expect(configuration.retryBackoffMax == .seconds(3))
        #expect(configuration.retries == 7)
        #expect(configuration.metadataMaxAge == .seconds(60))
        #expect(configuration.maxInFlightRequestsPerConnection == 3)
        #expect(configuration.maximumResponseSize == 2048)
        #expect(configuration.connectionsMaxIdle == .zero)
        #expect(configuration.securityProtocol == .saslSSL)
        #expect(configuration.tls.caFile == "/etc/ca.pem")
        #expect(configuration.tls.caPEM == nil)
        #expect(configuration.tls.certificateFile == "/etc/client.pem")
        #expect(configuration.tls.keyFile == "/etc/client.pem")
        #expect(configuration.tls.keyPassword == "keypass")
        #expect(!configuration.tls.verifyHostname)
        #expect(!configuration.tls.verifyCertificate)
        #expect(configuration.sasl == SASLCredentials(mechanism: .plain, username: "alice", password: "s3cret"))
        try configuration.validate()
    }

    @Test func sampleValuesCoverExactlyTheKnownProperties() throws {
        #expect(Set(Self.sampleValues.keys) == Set(KafkaClientConfiguration.knownProperties))
        #expect(KafkaClientConfiguration.knownProperties.count == Set(KafkaClientConfiguration.knownProperties).count)
        var configuration = KafkaClientConfiguration(bootstrapServers: [BrokerAddress(host: "k", port: 9092)])
        for (name, value) in Self.sampleValues {
            let applied = try configuration.apply(property: name, value: value)
            #expect(applied, "\(name)")
        }
    }

    @Test func inlinePEMAndLibrdkafkaLocations() throws {
        let configuration = try Self.configuration([
            "security.protocol": "SSL", "ssl.truststore.certificates": "-----BEGIN CERTIFICATE-----\nAA\n",
            "ssl.keystore.certificate.chain": "CHAIN", "ssl.keystore.key": "KEY",
            "ssl.endpoint.identification.algorithm": "HTTPS",
        ])
        #expect(configuration.tls.caPEM == "-----BEGIN CERTIFICATE-----\nAA")
        #expect(configuration.tls.certificatePEM == "CHAIN")
        #expect(configuration.tls.keyPEM == "KEY")
        #expect(configuration.tls.verifyHostname)
        try configuration.validate()
        let files = try Self.configuration([
            "security.protocol": "SSL", "ssl.ca.location": "ca.pem", "ssl.certificate.location": "cert.pem",
            "ssl.key.location": "key.pem", "ssl.endpoint.identification.algorithm": "none",
        ])
        #expect(
            files.tls.caFile == "ca.pem" && files.tls.certificateFile == "cert.pem" && files.tls.keyFile == "key.pem")
        #expect(!files.tls.verifyHostname)
        try files.validate()
    }

    @Test func unknownPropertyErrorNamesIt() throws {
        let error = try Self.error(["no.such.setting": "1"])
        #expect(
            error
                == KafkaConfigurationError(
                    property: "no.such.setting", message: "unknown configuration property 'no.such.setting'"))
        #expect(try Self.error(["ssl.protocol": "TLSv1.3"]).property == "ssl.protocol")
        #expect(try Self.error(["sasl.kerberos.service.name": "kafka"]).property == "sasl.kerberos.service.name")
        let missing = try #require(throws: KafkaConfigurationError.self) {
            try KafkaClientConfiguration(properties: ["client.id": "x"])
        }
        #expect(missing.property == "bootstrap.servers")
    }

    @Test(arguments: [
        ("request.timeout.ms", "-1"), ("retry.backoff.ms", "abc"), ("metadata.max.age.ms", "1.5"),
        ("connections.max.idle.ms", ""), ("retries", "-3"), ("max.in.flight.requests.per.connection", "0"),
        ("receive.message.max.bytes", "1000"), ("enable.ssl.certificate.verification", "yes"),
        ("security.protocol", "TLS"), ("sasl.mechanism", "GSSAPI"), ("sasl.mechanisms", "AWS_MSK_IAM"),
        ("ssl.truststore.type", "JKS"), ("ssl.keystore.type", "BKS"), ("bootstrap.servers", "host:99999"),
        ("bootstrap.servers", "host:abc"), ("ssl.endpoint.identification.algorithm", "http"),
        ("client.software.name", "my app"), ("client.software.version", "-1"),
    ])
    func invalidValuesNameThePropertyAndTheValue(property: String, value: String) throws {
        let error = try Self.error([property: value])
        #expect(error.property == property)
        #expect(error.message.contains(property))
        #expect(error.message.contains("'\(value)'"))
        #expect(error.description == error.message)
    }

    @Test func jksStoresAreRefusedWithTheConversionCommand() throws {
        let jks = try Self.error(["ssl.truststore.type": "JKS", "ssl.truststore.location": "/etc/truststore.jks"])
        #expect(jks.property == "ssl.truststore.type")
        #expect(
            jks.message.contains(
                "keytool -importkeystore -srckeystore /etc/truststore.jks -destkeystore /etc/truststore.p12 "
                    + "-deststoretype PKCS12"))
        // A PEM store has no store password.
        let pem = try Self.configuration([
            "security.protocol": "SSL", "ssl.truststore.type": "PEM", "ssl.truststore.location": "/etc/ts.pem",
            "ssl.truststore.password": "changeit",
        ])
        let password = try #require(throws: KafkaConfigurationError.self) { try pem.validate() }
        #expect(password.property == "ssl.truststore.password")
        #expect(!password.message.contains("changeit"))
        // Java's default store type is JKS, so a location alone is taken for neither PEM nor PKCS12.
        let untyped = try Self.configuration(["security.protocol": "SSL", "ssl.truststore.location": "/etc/ts.jks"])
        let error = try #require(throws: KafkaConfigurationError.self) { try untyped.validate() }
        #expect(error.property == "ssl.truststore.location")
        #expect(error.message.contains("ssl.truststore.type=PKCS12 or ssl.truststore.type=PEM"))
        #expect(error.message.contains("keytool -importkeystore -srckeystore /etc/ts.jks"))
    }

    @Test func pkcs12StoresSetTheStoreFilesAndPasswordsInAnyOrder() throws {
        let properties = [
            "security.protocol": "SSL", "ssl.keystore.type": "pkcs12", "ssl.keystore.location": "/etc/client.p12",
            "ssl.keystore.password": "ks-secret", "ssl.truststore.type": "PKCS12",
            "ssl.truststore.location": "/etc/trust.p12", "ssl.truststore.password": "ts-secret",
        ]
        let configuration = try Self.configuration(properties)
        try configuration.validate()
        #expect(configuration.tls.keystoreFile == "/etc/client.p12")
        #expect(configuration.tls.keystorePassword == "ks-secret")
        #expect(configuration.tls.truststoreFile == "/etc/trust.p12")
        #expect(configuration.tls.truststorePassword == "ts-secret")
        #expect(configuration.tls.certificateFile == nil && configuration.tls.keyFile == nil)
        #expect(configuration.tls.caFile == nil)
        #expect(!configuration.description.contains("ks-secret") && !configuration.description.contains("ts-secret"))

        // Applied in the opposite order (type after location, then changed back to PEM), the files follow the type.
        var reordered = KafkaClientConfiguration(bootstrapServers: [BrokerAddress(host: "h", port: 1)])
        for name in properties.keys.sorted(by: >) { _ = try reordered.apply(property: name, value: properties[name]!) }
        #expect(reordered.tls == configuration.tls)
        _ = try reordered.apply(property: "ssl.keystore.type", value: "PEM")
        #expect(reordered.tls.keystoreFile == nil)
        #expect(reordered.tls.certificateFile == "/etc/client.p12" && reordered.tls.keyFile == "/etc/client.p12")
    }

    @Test func passwordsNeverAppearInErrorsOrDescriptions() throws {
        let secret = "Sup3r-S3cret"
        let jaas = #"org.apache.kafka.common.security.plain.PlainLoginModule required password="Sup3r-S3cret""#
        var errors = [
            try Self.error(["sasl.jaas.config": jaas]),  // missing ';'
            try Self.error(["sasl.jaas.config": "Sup3r-S3cret"]),
            try Self.error(["sasl.jaas.config": #"x.PlainLoginModule required password=Sup3r-S3cret junk;"#]),
        ]
        let pemStore = try Self.configuration([
            "security.protocol": "SSL", "ssl.keystore.type": "PEM", "ssl.keystore.password": secret,
        ])
        errors.append(try #require(throws: KafkaConfigurationError.self) { try pemStore.validate() })
        let mismatch = try Self.configuration([
            "security.protocol": "SASL_SSL", "sasl.jaas.config": Self.plainJAAS, "sasl.password": secret,
        ])
        errors.append(try #require(throws: KafkaConfigurationError.self) { try mismatch.validate() })
        #expect(errors.last?.property == "sasl.password")
        for error in errors {
            #expect(!error.message.contains(secret), "\(error.message)")
            #expect(!error.description.contains(secret))
        }
        var configuration = try Self.configuration([
            "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "bob",
            "sasl.password": secret, "ssl.key.password": secret, "ssl.keystore.key": secret,
            "ssl.keystore.certificate.chain": "CHAIN",
        ])
        #expect(configuration.sasl?.password == secret)
        #expect(configuration.tls.keyPassword == secret && configuration.tls.keyPEM == secret)
        configuration.tls.caPEM = "CA"
        var dumped = ""
        dump(configuration, to: &dumped)
        for text in [configuration.description, configuration.debugDescription, "\(configuration)", dumped] {
            #expect(!text.contains(secret))
            #expect(text.contains("bob"))
            #expect(text.contains("<redacted>"))
        }
    }

    @Test func booleansAreCaseInsensitive() throws {
        #expect(try Self.configuration(["enable.ssl.certificate.verification": "False"]).tls.verifyCertificate == false)
        #expect(try Self.configuration(["enable.ssl.certificate.verification": " TRUE "]).tls.verifyCertificate)
    }

    @Test func applyReturnsFalseForProducerAndConsumerProperties() throws {
        var configuration = KafkaClientConfiguration(bootstrapServers: [BrokerAddress(host: "k", port: 9092)])
        for name in ["acks", "enable.idempotence", "linger.ms", "group.id", "auto.offset.reset", "ssl.cipher.suites"] {
            let applied = try configuration.apply(property: name, value: "1")
            #expect(!applied, "\(name)")
        }
        let ignored = try configuration.apply(property: "client.dns.lookup", value: "anything")
        let clientID = try configuration.apply(property: "client.id", value: " app ")
        #expect(ignored && clientID)
        #expect(configuration.clientID == "app")
        let error = try #require(throws: KafkaConfigurationError.self) {
            var copy = configuration
            _ = try copy.apply(property: "retries", value: "x")
        }
        #expect(error.message == "invalid value 'x' for retries: expected an integer")
    }

    @Test func bootstrapServersList() throws {
        let configuration = try KafkaClientConfiguration(properties: [
            "bootstrap.servers": " a:9092, ,b:9093,[::1]:9094,c,"
        ])
        #expect(configuration.bootstrapServers.map(\.description) == ["a:9092", "b:9093", "[::1]:9094", "c:9092"])
        for text in ["", " , ,"] {
            let error = try #require(throws: KafkaConfigurationError.self) {
                try KafkaClientConfiguration(properties: ["bootstrap.servers": text])
            }
            #expect(error.property == "bootstrap.servers")
            #expect(error.message.contains("empty"))
        }
        #expect(throws: KafkaConfigurationError.self) {
            try KafkaClientConfiguration(bootstrapServers: []).validate()
        }
    }

    @Test func brokerAddressParsing() throws {
        let cases: [(String, String, Int)] = [
            ("kafka-1.example.com:9093", "kafka-1.example.com", 9093), ("broker", "broker", 9092),
            ("10.0.0.1:1", "10.0.0.1", 1), ("[::1]:9092", "::1", 9092), ("[fe80::1%eth0]:65535", "fe80::1%eth0", 65535),
            ("[2001:db8::7]", "2001:db8::7", 9092), (" host_a:29092 ", "host_a", 29092),
        ]
        for (text, host, port) in cases {
            let address = try BrokerAddress(parsing: text)
            #expect(address == BrokerAddress(host: host, port: port), "\(text)")
        }
        #expect(BrokerAddress(host: "::1", port: 9092).description == "[::1]:9092")
        #expect(BrokerAddress(host: "k", port: 1).description == "k:1")
        let bad = [
            "", "   ", "host:", "host:0", "host:65536", "host:-1", "host:+1", "host:9x", ":9092", "::1", "::1:9092",
            "[::1", "[::1]9092", "[]:9092", "PLAINTEXT://host:9092", "ho st:1", "host:99999999999999999999999",
        ]
        for text in bad {
            let error = try #require(throws: KafkaConfigurationError.self, "\(text)") {
                try BrokerAddress(parsing: text)
            }
            #expect(error.message.contains("broker address"), "\(text): \(error.message)")
        }
        #expect(
            try #require(throws: KafkaConfigurationError.self) { try BrokerAddress(parsing: "h:0") }.message
                == "invalid broker address 'h:0': the port 0 is not between 1 and 65535")
    }
}

extension ConfigurationTests {
    @Test func jaasPlainAndScram() throws {
        let plain = try JAASLogin(parsing: Self.plainJAAS)
        #expect(plain.moduleName == "PlainLoginModule" && plain.isPlain && plain.impliedMechanism == .plain)
        #expect(plain.username == "alice" && plain.password == "s3cret")
        let scram = try JAASLogin(
            parsing: """
                org.apache.kafka.common.security.scram.ScramLoginModule Required
                  /* a comment */ username = 'bob' // the user
                  password="p\\"a\\\\ss;w=rd\\n" extra=ignored;
                """)
        #expect(scram.moduleName == "ScramLoginModule" && !scram.isPlain && scram.impliedMechanism == nil)
        #expect(scram.username == "bob" && scram.password == "p\"a\\ss;w=rd\n")
        #expect(scram.implements(.scramSHA256) && scram.implements(.scramSHA512) && !scram.implements(.plain))
        let bare = try JAASLogin(parsing: "x.y.PlainLoginModule optional username=u1 password=p@1;")
        #expect(bare.username == "u1" && bare.password == "p@1")
        let noOptions = try JAASLogin(parsing: "org.apache.kafka.common.security.plain.PlainLoginModule required;")
        #expect(noOptions.username == nil && noOptions.password == nil)
    }

    @Test(arguments: [
        (
            "com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true;",
            "unsupported login module 'com.sun.security.auth.module.Krb5LoginModule'"
        ),
        (
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
            "set unsecuredLoginStringClaim_sub"
        ),
        ("org.apache.kafka.common.security.plain.PlainLoginModule username=\"a\";", "control flag"),
        ("org.apache.kafka.common.security.plain.PlainLoginModule required username=\"a\"", "';'"),
        ("org.apache.kafka.common.security.plain.PlainLoginModule required username=\"a;", "unterminated"),
        ("org.apache.kafka.common.security.plain.PlainLoginModule required username;", "'='"),
        ("org.apache.kafka.common.security.plain.PlainLoginModule required username=;", "value"),
        ("x.PlainLoginModule required; x.PlainLoginModule required;", "exactly one"),
        ("org.apache.kafka.common.security.scram.ScramLoginModule required tokenauth=true;", "tokenauth"),
        ("", "login module class name"), ("/* never closed", "comment"),
    ])
    func jaasErrors(text: String, expected: String) throws {
        let error = try #require(throws: KafkaConfigurationError.self) { try JAASLogin(parsing: text) }
        #expect(error.property == "sasl.jaas.config")
        #expect(error.message.contains(expected), "\(error.message)")
    }

    @Test func saslCredentialsFromPropertiesInAnyOrder() throws {
        let properties = [
            "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-256", "sasl.username": "bob",
            "sasl.password": "pw",
        ]
        let expected = SASLCredentials(mechanism: .scramSHA256, username: "bob", password: "pw")
        for order in [properties.sorted { $0.key < $1.key }, properties.sorted { $0.key > $1.key }] {
            var configuration = KafkaClientConfiguration(bootstrapServers: [BrokerAddress(host: "k", port: 1)])
            for (name, value) in order {
                let applied = try configuration.apply(property: name, value: value)
                #expect(applied)
            }
            #expect(configuration.sasl == expected)
            try configuration.validate()
        }
        // PlainLoginModule implies PLAIN; the librdkafka alias works too.
        #expect(try Self.configuration(["sasl.jaas.config": Self.plainJAAS]).sasl?.mechanism == .plain)
        let scram = try Self.configuration([
            "sasl.mechanisms": "SCRAM-SHA-512",
            "sasl.jaas.config":
                #"org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";"#,
        ])
        #expect(scram.sasl == SASLCredentials(mechanism: .scramSHA512, username: "u", password: "p"))
    }

    @Test(arguments: [
        (["security.protocol": "SASL_SSL"], "sasl.mechanism"),
        (["security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN"], "sasl.username"),
        (["security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN", "sasl.username": "u"], "sasl.password"),
        (
            [
                "security.protocol": "SASL_PLAINTEXT",
                "sasl.jaas.config": #"a.ScramLoginModule required username="u" password="p";"#,
            ], "sasl.mechanism"
        ),
        (
            ["security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-256", "sasl.jaas.config": plainJAAS],
            "sasl.jaas.config"
        ),
        (["security.protocol": "SASL_SSL", "sasl.jaas.config": plainJAAS, "sasl.username": "bob"], "sasl.username"),
        (
            ["security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN", "sasl.mechanisms": "SCRAM-SHA-256"],
            "sasl.mechanism"
        ),
    ])
    func inconsistentSASLSettings(properties: [String: String], property: String) throws {
        let configuration = try Self.configuration(properties)
        let error = try #require(throws: KafkaConfigurationError.self) { try configuration.validate() }
        #expect(error.property == property, "\(error.message)")
    }

    @Test func settingsForAnUnusedProtocolAreIgnored() throws {
        // Like the Java client: ssl.* without TLS and sasl.* without SASL are not checked.
        let configuration = try Self.configuration([
            "security.protocol": "PLAINTEXT", "ssl.key.location": "key.pem", "ssl.truststore.location": "x.pem",
            "sasl.mechanism": "PLAIN",
        ])
        try configuration.validate()
    }

    @Test(arguments: [
        (["ssl.key.location": "key.pem"], "ssl.key.location"),
        (["ssl.keystore.certificate.chain": "CHAIN"], "ssl.keystore.certificate.chain"),
        (["ssl.keystore.location": "ks.pem"], "ssl.keystore.location"),
        (
            ["ssl.ca.location": "a.pem", "ssl.truststore.type": "PEM", "ssl.truststore.location": "b.pem"],
            "ssl.truststore.location"
        ),
        (["ssl.ca.location": "a.pem", "ssl.truststore.certificates": "CA"], "ssl.truststore.certificates"),
        (
            ["ssl.keystore.type": "PEM", "ssl.keystore.location": "ks.pem", "ssl.key.location": "k.pem"],
            "ssl.keystore.location"
        ),
        (
            ["ssl.certificate.location": "c.pem", "ssl.key.location": "k.pem", "ssl.keystore.key": "K"],
            "ssl.keystore.key"
        ),
    ])
    func inconsistentTLSSettings(properties: [String: String], property: String) throws {
        let configuration = try Self.configuration(properties.merging(["security.protocol": "SSL"]) { $1 })
        let error = try #require(throws: KafkaConfigurationError.self) { try configuration.validate() }
        #expect(error.property == property, "\(error.message)")
    }

    @Test func validateChecksBackoffsAndRanges() throws {
        let base = KafkaClientConfiguration(bootstrapServers: [BrokerAddress(host: "k", port: 9092)])
        let cases: [(String, (inout KafkaClientConfiguration) -> Void)] = [
            ("reconnect.backoff.max.ms", { $0.reconnectBackoffMax = .milliseconds(10) }),
            ("retry.backoff.max.ms", { $0.retryBackoff = .seconds(5) }),
            ("socket.connection.setup.timeout.max.ms", { $0.connectionSetupTimeout = .seconds(31) }),
            ("request.timeout.ms", { $0.requestTimeout = .zero }),
            ("metadata.max.age.ms", { $0.metadataMaxAge = .milliseconds(-1) }),
            ("max.in.flight.requests.per.connection", { $0.maxInFlightRequestsPerConnection = 0 }),
            ("receive.message.max.bytes", { $0.maximumResponseSize = 100 }),
            ("retries", { $0.retries = -1 }),
            ("bootstrap.servers", { $0.bootstrapServers = [BrokerAddress(host: "k", port: 0)] }),
            ("client.software.name", { $0.clientSoftwareName = "" }),
        ]
        for (property, change) in cases {
            var configuration = base
            change(&configuration)
            let error = try #require(throws: KafkaConfigurationError.self) { try configuration.validate() }
            #expect(error.property == property, "\(error.message)")
        }
        let backoff = try #require(throws: KafkaConfigurationError.self) {
            try Self.configuration(["reconnect.backoff.ms": "500", "reconnect.backoff.max.ms": "100"]).validate()
        }
        #expect(backoff.message == "reconnect.backoff.max.ms (100 ms) is less than reconnect.backoff.ms (500 ms)")
    }
}

extension ConfigurationTests {
    @Test func propertiesFileSyntax() throws {
        let text = """
            # a comment
              ! another comment \\
            not.continued=1
            bootstrap.servers = a:9092,\\
                                b:9093
            client.id:app
            retries 5
            sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\
                username="alice" \\
                password="s3cret";
            key\\ with\\=escapes\\:=tab\\there\\nnewline\\\\ \\u00e9\\uD83D\\uDE00
            empty=
            only.key
            spaced  =   value with spaces   \t
            kept.trailing=value\\u0020
            \\#not.a.comment=yes
            dup=first
            dup=second
            """
        let properties = try PropertiesFile.parse(text)
        #expect(
            properties == [
                "not.continued": "1", "bootstrap.servers": "a:9092,b:9093", "client.id": "app", "retries": "5",
                "sasl.jaas.config": Self.plainJAAS, "key with=escapes:": "tab\there\nnewline\\ é😀", "empty": "",
                "only.key": "", "spaced": "value with spaces", "kept.trailing": "value ", "#not.a.comment": "yes",
                "dup": "second",
            ])
        let configuration = try KafkaClientConfiguration(
            properties: properties.filter {
                !$0.key.contains(" ") && !$0.key.hasPrefix("#")
                    && !["not.continued", "empty", "only.key", "spaced", "kept.trailing", "dup"].contains($0.key)
            })
        #expect(configuration.sasl == SASLCredentials(mechanism: .plain, username: "alice", password: "s3cret"))
        #expect(configuration.retries == 5 && configuration.clientID == "app")
    }

    @Test func propertiesFileLineEndingsAndEdges() throws {
        #expect(
            try PropertiesFile.parse("a=1\r\nb=2\rc=3\n\nd=4\\\r\n  5") == ["a": "1", "b": "2", "c": "3", "d": "45"])
        #expect(try PropertiesFile.parse("") == [:])
        #expect(try PropertiesFile.parse("x=1\\") == ["x": "1"])  // a continuation at the end of the input
        #expect(try PropertiesFile.parse("x=a\\\\") == ["x": "a\\"])  // an escaped backslash does not continue
        #expect(try PropertiesFile.parse("k = = v") == ["k": "= v"])
    }

    @Test(arguments: [
        ("a=1\nb=\\u00zz", "line 2: malformed \\uXXXX escape"),
        ("a=\\u12", "line 1: malformed \\uXXXX escape"),
        ("pw=\\uD83D", "line 1: unpaired UTF-16 surrogate"),
        ("pw=\\uDE00x", "line 1: unpaired UTF-16 surrogate"),
        ("ok=1\n=value", "line 2: missing property name"),
    ])
    func propertiesFileErrors(text: String, expected: String) throws {
        let error = try #require(throws: KafkaConfigurationError.self) { try PropertiesFile.parse(text) }
        #expect(error.message.hasPrefix(expected), "\(error.message)")
    }

    @Test func propertiesFileLoad() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kafka-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("client.properties").path
        try Data("bootstrap.servers=k:9092\nclient.id=caf\u{E9}\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try PropertiesFile.load(path: path) == ["bootstrap.servers": "k:9092", "client.id": "café"])
        // Not UTF-8: read as ISO 8859-1 like java.util.Properties.
        let latin1 = directory.appendingPathComponent("latin1.properties").path
        try Data([0x61, 0x3D, 0xE9]).write(to: URL(fileURLWithPath: latin1))
        #expect(try PropertiesFile.load(path: latin1) == ["a": "é"])

        let missing = directory.appendingPathComponent("missing.properties").path
        let error = try #require(throws: KafkaConfigurationError.self) { try PropertiesFile.load(path: missing) }
        #expect(error.message.hasPrefix("\(missing): cannot read the properties file"))
        let bad = directory.appendingPathComponent("bad.properties").path
        try Data("a=1\nb=\\uXYZW\n".utf8).write(to: URL(fileURLWithPath: bad))
        let parseError = try #require(throws: KafkaConfigurationError.self) { try PropertiesFile.load(path: bad) }
        #expect(parseError.message == "\(bad): line 2: malformed \\uXXXX escape")
        let directoryError = try #require(throws: KafkaConfigurationError.self) {
            try PropertiesFile.load(path: directory.path)
        }
        #expect(directoryError.message.hasPrefix(directory.path))
    }
}
