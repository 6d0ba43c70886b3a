/*
 * The machine's limit for the enforcer's contract (issue 14): a stock Java client passthrough.
 * Kafka's own client jars (the ones scripts/stack downloads), default settings except what the
 * contract needs: consume a raw topic in a group with manual commits; per raw record produce
 * one ~900 B evidence-shaped JSON record (acks=all, idempotent, lz4, linger 5 ms, keyed by raw
 * topic/partition like the enforcer's evidence); commit a partition only up to records whose
 * evidence the broker acknowledged. No gates. Producer settings as the enforcer's
 * (src/main/evidence-producer.ts): acks=all, idempotence, lz4, linger 5 ms, 1 MB batches.
 * The producer's buffer.memory (32 MiB) is the byte-bounded flow control: send() blocks
 * when it is full.
 *
 * Environment: SF_KAFKA_BROKERS, SF_ENFORCER_TOPICS (comma-separated), SF_ENFORCER_GROUP_ID,
 * SF_EVIDENCE_TOPIC, SF_ENFORCER_COMMIT_INTERVAL_MS [1000]. Stops on SIGTERM: flush, commit, close.
 * perf/e2e.ts compiles it with javac into .cache/perf-java and runs it.
 */
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class Passthrough {
  private static final int EVIDENCE_BYTES = 900;

  /** Per raw partition: the next offset to commit (every record before it acknowledged). */
  private static final Map<TopicPartition, AtomicLong> done = new ConcurrentHashMap<>();
  private static final Map<TopicPartition, Long> committed = new HashMap<>();
  private static final Map<TopicPartition, byte[]> keys = new HashMap<>();

  private static String env(String k, String def) {
    String v = System.getenv(k);
    return v == null || v.isEmpty() ? def : v;
  }

  private static byte[] evidence(ConsumerRecord<byte[], byte[]> r, char[] pad) {
    String head = "{\"evidence_id\":\"limit-" + r.partition() + "-" + r.offset()
        + "\",\"stage\":\"OBSERVED_RAW\",\"source\":{\"raw_topic\":\"" + r.topic() + "\",\"partition\":"
        + r.partition() + ",\"offset\":" + r.offset() + ",\"event_time\":\"" + Instant.ofEpochMilli(r.timestamp())
        + "\"},\"validation\":{\"result\":\"PASS\",\"failed_gates\":[],\"reason_codes\":[]},\"pad\":\"";
    int n = Math.max(0, EVIDENCE_BYTES - head.length() - 2);
    return (head + new String(pad, 0, n) + "\"}").getBytes(StandardCharsets.UTF_8);
  }

  private static Map<TopicPartition, OffsetAndMetadata> takeCommits() {
    Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
    for (Map.Entry<TopicPartition, AtomicLong> e : done.entrySet()) {
      long d = e.getValue().get();
      Long c = committed.get(e.getKey());
      if (d >= 0 && (c == null || d > c)) {
        out.put(e.getKey(), new OffsetAndMetadata(d));
        committed.put(e.getKey(), d);
      }
    }
    return out;
  }

  public static void main(String[] args) throws Exception {
    String brokers = env("SF_KAFKA_BROKERS", "127.0.0.1:9092");
    String group = env("SF_ENFORCER_GROUP_ID", "signal-factory-limit");
    String evidenceTopic = env("SF_EVIDENCE_TOPIC", "signal_factory.evidence");
    long commitMs = Long.parseLong(env("SF_ENFORCER_COMMIT_INTERVAL_MS", "1000"));
    String[] topics = env("SF_ENFORCER_TOPICS", "").split(",");

    Properties cp = new Properties();
    cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    cp.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    cp.put(ConsumerConfig.CLIENT_ID_CONFIG, "signal-factory-perf-limit");
    cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, env("SF_ENFORCER_OFFSET_RESET", "earliest"));
    Properties pp = new Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    pp.put(ProducerConfig.CLIENT_ID_CONFIG, "signal-factory-perf-limit");
    pp.put(ProducerConfig.ACKS_CONFIG, "all");
    pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    pp.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    pp.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    // librdkafka's default batch size (the enforcer's producer), instead of Java's 16 KiB.
    pp.put(ProducerConfig.BATCH_SIZE_CONFIG, "1000000");

    char[] pad = new char[EVIDENCE_BYTES];
    Arrays.fill(pad, 'x');
    KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(cp, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer());
    Thread mainThread = Thread.currentThread();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      consumer.wakeup();
      try {
        mainThread.join(30_000);
      } catch (InterruptedException ignored) {
        // exiting anyway
      }
    }));

    consumer.subscribe(Arrays.asList(topics), new ConsumerRebalanceListener() {
      @Override
      public void onPartitionsRevoked(Collection<TopicPartition> parts) {
        // Commit what is acknowledged before the partitions go; then forget them.
        producer.flush();
        consumer.commitSync(takeCommits());
        for (TopicPartition tp : parts) {
          done.remove(tp);
          committed.remove(tp);
        }
      }

      @Override
      public void onPartitionsAssigned(Collection<TopicPartition> parts) {
        for (TopicPartition tp : parts) {
          done.putIfAbsent(tp, new AtomicLong(-1));
          keys.putIfAbsent(tp, (tp.topic() + "/" + tp.partition()).getBytes(StandardCharsets.UTF_8));
        }
      }
    });
    System.out.println("{\"msg\":\"limit passthrough started\",\"group\":\"" + group + "\"}");
    long nextCommit = System.currentTimeMillis() + commitMs;
    try {
      while (true) {
        ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(100));
        for (ConsumerRecord<byte[], byte[]> r : batch) {
          TopicPartition tp = new TopicPartition(r.topic(), r.partition());
          AtomicLong d = done.get(tp);
          if (d == null) continue;
          long next = r.offset() + 1;
          // One key per raw partition -> one evidence partition: acknowledgements arrive in order.
          producer.send(new ProducerRecord<>(evidenceTopic, keys.get(tp), evidence(r, pad)), (md, err) -> {
            if (err == null) d.accumulateAndGet(next, Math::max);
            else System.err.println("{\"msg\":\"delivery failed\",\"err\":\"" + err + "\"}");
          });
        }
        long now = System.currentTimeMillis();
        if (now >= nextCommit) {
          Map<TopicPartition, OffsetAndMetadata> c = takeCommits();
          if (!c.isEmpty()) consumer.commitAsync(c, null);
          nextCommit = now + commitMs;
        }
      }
    } catch (WakeupException stop) {
      // SIGTERM
    } finally {
      producer.flush();
      consumer.commitSync(takeCommits());
      consumer.close();
      producer.close();
    }
  }
}
