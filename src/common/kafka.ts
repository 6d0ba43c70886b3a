/**
 * The kafka-javascript binding is CommonJS: Node's ESM loader cannot see its named
 * exports, so every module imports the classes from here.
 */
import kafka from '@confluentinc/kafka-javascript';

export const { KafkaConsumer, Producer, KafkaJS, CODES } = kafka;
export type KafkaConsumer = import('@confluentinc/kafka-javascript').KafkaConsumer;
export type Producer = import('@confluentinc/kafka-javascript').Producer;
export type {
  LibrdKafkaError,
  Message,
  MessageHeader,
  TopicPartition,
} from '@confluentinc/kafka-javascript';

/**
 * Makes `consume(n)` return as soon as the local queue is empty once it holds a message. By
 * default the binding waits the consume timeout for *each* missing message of the n, so a steady
 * stream with gaps shorter than the timeout (e.g. snapshots from two engines every 500 ms) keeps
 * one call open until n messages have arrived: minutes at a few messages per second.
 * (The method exists in the binding's JavaScript but not in its type declarations.)
 */
export function returnWhenDrained(c: KafkaConsumer): void {
  (
    c as unknown as { setDefaultIsTimeoutOnlyForFirstMessage(only: boolean): void }
  ).setDefaultIsTimeoutOnlyForFirstMessage(true);
}
