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
