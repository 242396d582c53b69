/*
 * mock-cluster: run a librdkafka mock Kafka cluster as a standalone process.
 *
 * Build (on demand; needs librdkafka-dev >= 1.4, tested with 2.0.2):
 *
 *     cc -O1 -o mock-cluster mock-cluster.c -lrdkafka
 *
 * Usage:
 *
 *     mock-cluster [-n] [-X key=value]... [BROKERS [TOPIC[:PARTITIONS[:RF]]]...]
 *
 *   BROKERS                  number of mock brokers, ids 1..BROKERS (default 1, max 64)
 *   TOPIC[:PARTITIONS[:RF]]  topics to create up front (default 1 partition,
 *                            replication factor min(3, BROKERS)); topics that
 *                            are not created here are auto-created by the mock
 *                            on Metadata requests with 4 partitions
 *   -n                       do not watch stdin; run until SIGTERM/SIGINT only
 *   -X key=value             extra librdkafka configuration property for the
 *                            handle that owns the cluster (e.g. -X debug=mock
 *                            to log every mock request to stderr)
 *   -h                       this help
 *
 * Protocol with the caller:
 *
 *   - stdout: exactly one line, the bootstrap list ("127.0.0.1:PORT[,...]"),
 *     written and flushed once the cluster and all topics exist. Nothing else
 *     is ever written to stdout.
 *   - stderr: diagnostics and librdkafka logs.
 *   - The process runs until stdin reaches EOF (or a read error), or until
 *     SIGTERM / SIGINT / SIGHUP, then destroys the cluster and exits 0.
 *     Closing the write end of a pipe connected to stdin is therefore the
 *     simplest way to stop it, and it also stops when its parent dies.
 *     Note: `mock-cluster < /dev/null` exits immediately; use -n for that case.
 *   - Exit status: 0 on clean shutdown, 1 on startup failure, 2 on bad usage.
 *
 * Example (shell):
 *
 *     coproc MOCK { ./mock-cluster 1 mytopic:1; }
 *     read -r bootstrap <&"${MOCK[0]}"
 *     kcat -b "$bootstrap" -L
 *     exec {MOCK[1]}>&-; wait "$MOCK_PID"
 *
 * Example (Python):
 *
 *     p = subprocess.Popen(["./mock-cluster", "1", "t"], stdin=subprocess.PIPE,
 *                          stdout=subprocess.PIPE, text=True)
 *     bootstrap = p.stdout.readline().strip()
 *     ...
 *     p.stdin.close(); p.wait()
 *
 * The mock cluster supports Metadata, Produce (record batches v2 only; stored
 * as sent apart from BaseOffset, never decompressed or CRC-checked; send one
 * batch per partition per request), Fetch (returns the stored batches, one
 * stored batch per partition per response), ListOffsets, ApiVersions, group
 * coordination, offset commit and
 * transactions. See /usr/include/librdkafka/rdkafka_mock.h.
 */

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/* Self-pipe: the signal handler writes one byte, the main loop polls the
 * read end next to stdin. This has no check-then-block race and works
 * whichever thread the signal is delivered to. */
static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig) {
        int saved     = errno;
        unsigned char b = (unsigned char)sig;
        if (write(sig_pipe[1], &b, 1) < 0) {
                /* Pipe full: a wake-up is already pending. */
        }
        errno = saved;
}

static void usage(FILE *fp, const char *argv0) {
        fprintf(fp,
                "usage: %s [-n] [-X key=value]... "
                "[BROKERS [TOPIC[:PARTITIONS[:RF]]]...]\n"
                "Runs a librdkafka mock cluster; prints the bootstrap list as "
                "the first line of stdout\n"
                "and runs until stdin reaches EOF (or SIGTERM/SIGINT; -n: "
                "signals only).\n",
                argv0);
}

/* Parses a positive decimal int in [1, max]; returns -1 on error. */
static int parse_count(const char *s, int max) {
        char *end;
        long v;
        if (!s || !*s)
                return -1;
        errno = 0;
        v     = strtol(s, &end, 10);
        if (errno || *end || v < 1 || v > max)
                return -1;
        return (int)v;
}

/* Parses TOPIC[:PARTITIONS[:RF]]; returns 0 on success, -1 on error. */
static int parse_topic_spec(const char *spec,
                            int broker_cnt,
                            char *name,
                            size_t name_size,
                            int *partitions,
                            int *rf) {
        char buf[512];
        char *c1, *c2 = NULL;

        if (strlen(spec) >= sizeof(buf))
                return -1;
        strcpy(buf, spec);
        *partitions = 1;
        *rf         = broker_cnt < 3 ? broker_cnt : 3;

        if ((c1 = strchr(buf, ':'))) {
                *c1 = '\0';
                if ((c2 = strchr(c1 + 1, ':')))
                        *c2 = '\0';
                if ((*partitions = parse_count(c1 + 1, 100000)) < 0)
                        return -1;
                if (c2 && (*rf = parse_count(c2 + 1, broker_cnt)) < 0)
                        return -1;
        }
        if (!*buf || strlen(buf) >= name_size)
                return -1;
        strcpy(name, buf);
        return 0;
}

int main(int argc, char **argv) {
        char errstr[512];
        int watch_stdin = 1;
        int broker_cnt  = 1;
        int first_topic;
        int opt;
        int i;
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        rd_kafka_mock_cluster_t *mcluster;
        const char *bootstraps;
        struct sigaction sa;

        conf = rd_kafka_conf_new();
        /* Keep the owning producer quiet: it has no brokers of its own. */
        rd_kafka_conf_set(conf, "log_level", "4", NULL, 0);

        while ((opt = getopt(argc, argv, "hnX:")) != -1) {
                switch (opt) {
                case 'n':
                        watch_stdin = 0;
                        break;
                case 'X': {
                        char *eq = strchr(optarg, '=');
                        if (!eq) {
                                fprintf(stderr,
                                        "mock-cluster: -X expects key=value, "
                                        "got \"%s\"\n",
                                        optarg);
                                rd_kafka_conf_destroy(conf);
                                return 2;
                        }
                        *eq = '\0';
                        if (rd_kafka_conf_set(conf, optarg, eq + 1, errstr,
                                              sizeof(errstr)) !=
                            RD_KAFKA_CONF_OK) {
                                fprintf(stderr, "mock-cluster: -X %s: %s\n",
                                        optarg, errstr);
                                rd_kafka_conf_destroy(conf);
                                return 2;
                        }
                        break;
                }
                case 'h':
                        usage(stdout, argv[0]);
                        rd_kafka_conf_destroy(conf);
                        return 0;
                default:
                        usage(stderr, argv[0]);
                        rd_kafka_conf_destroy(conf);
                        return 2;
                }
        }

        first_topic = optind;
        if (optind < argc) {
                broker_cnt = parse_count(argv[optind], 64);
                if (broker_cnt < 0) {
                        fprintf(stderr,
                                "mock-cluster: BROKERS must be an integer in "
                                "1..64, got \"%s\"\n",
                                argv[optind]);
                        usage(stderr, argv[0]);
                        rd_kafka_conf_destroy(conf);
                        return 2;
                }
                first_topic = optind + 1;
        }

        /* Validate topic arguments before starting anything. */
        for (i = first_topic; i < argc; i++) {
                char name[256];
                int partitions, rf;
                if (parse_topic_spec(argv[i], broker_cnt, name, sizeof(name),
                                     &partitions, &rf) < 0) {
                        fprintf(stderr,
                                "mock-cluster: bad topic spec \"%s\" "
                                "(want TOPIC[:PARTITIONS[:RF]] with "
                                "RF <= BROKERS)\n",
                                argv[i]);
                        rd_kafka_conf_destroy(conf);
                        return 2;
                }
        }

        if (pipe(sig_pipe) < 0) {
                perror("mock-cluster: pipe");
                rd_kafka_conf_destroy(conf);
                return 1;
        }
        fcntl(sig_pipe[0], F_SETFD, FD_CLOEXEC);
        fcntl(sig_pipe[1], F_SETFD, FD_CLOEXEC);
        fcntl(sig_pipe[1], F_SETFL, O_NONBLOCK);

        /* Install handlers before librdkafka starts its threads. */
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        /* A producer with no bootstrap.servers: it never connects anywhere,
         * it only owns the mock cluster's threads and sockets. */
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "mock-cluster: rd_kafka_new failed: %s\n",
                        errstr);
                return 1;
        }

        mcluster = rd_kafka_mock_cluster_new(rk, broker_cnt);
        if (!mcluster) {
                fprintf(stderr,
                        "mock-cluster: rd_kafka_mock_cluster_new(%d) failed\n",
                        broker_cnt);
                rd_kafka_destroy(rk);
                return 1;
        }

        for (i = first_topic; i < argc; i++) {
                char name[256];
                int partitions, rf;
                rd_kafka_resp_err_t err;

                parse_topic_spec(argv[i], broker_cnt, name, sizeof(name),
                                 &partitions, &rf);
                err = rd_kafka_mock_topic_create(mcluster, name, partitions,
                                                 rf);
                if (err) {
                        fprintf(stderr,
                                "mock-cluster: creating topic \"%s\" "
                                "(%d partitions, rf %d) failed: %s\n",
                                name, partitions, rf, rd_kafka_err2str(err));
                        goto fail;
                }
        }

        bootstraps = rd_kafka_mock_cluster_bootstraps(mcluster);
        if (!bootstraps || !*bootstraps) {
                fprintf(stderr, "mock-cluster: no bootstrap servers\n");
                goto fail;
        }
        if (printf("%s\n", bootstraps) < 0 || fflush(stdout) != 0) {
                fprintf(stderr, "mock-cluster: cannot write to stdout\n");
                goto fail;
        }

        /* Run until EOF on stdin or a signal. */
        for (;;) {
                struct pollfd pfd[2] = {
                    {.fd = sig_pipe[0], .events = POLLIN},
                    {.fd = STDIN_FILENO, .events = POLLIN},
                };
                int r = poll(pfd, watch_stdin ? 2 : 1, -1);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        perror("mock-cluster: poll");
                        break;
                }
                if (pfd[0].revents)
                        break; /* SIGTERM / SIGINT / SIGHUP */
                if (watch_stdin && pfd[1].revents) {
                        char buf[4096];
                        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
                        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                                continue;
                        if (n <= 0)
                                break; /* EOF, error or hangup */
                        /* Input is ignored. */
                }
        }

        rd_kafka_mock_cluster_destroy(mcluster);
        rd_kafka_destroy(rk);
        return 0;

fail:
        rd_kafka_mock_cluster_destroy(mcluster);
        rd_kafka_destroy(rk);
        return 1;
}
